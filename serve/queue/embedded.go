package queue

import (
	"fmt"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// EmbeddedOptions configure an in-process NATS server.
type EmbeddedOptions struct {
	// Dir holds JetStream's files; jobs survive a restart with the same Dir.
	Dir string
	// Host and Port to listen on for other processes; Port 0 listens on
	// none (in-process connections only), -1 on a random port.
	Host string
	Port int
	// Name of the server in logs and monitoring ["autopipe"].
	Name string
}

// StartEmbedded starts a NATS server with file-backed JetStream and waits
// until it accepts connections.
func StartEmbedded(o EmbeddedOptions) (*server.Server, error) {
	opts := &server.Options{
		ServerName: o.Name, JetStream: true, StoreDir: o.Dir, Host: o.Host, Port: o.Port,
		MaxPayload: 8 << 20, NoSigs: true, NoLog: true,
	}
	if opts.ServerName == "" {
		opts.ServerName = "autopipe"
	}
	if o.Port == 0 {
		opts.DontListen = true
	}
	if opts.Host == "" {
		opts.Host = "127.0.0.1"
	}
	ns, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("queue: nats server: %w", err)
	}
	ns.Start()
	if !ns.ReadyForConnections(30 * time.Second) {
		ns.Shutdown()
		return nil, fmt.Errorf("queue: nats server in %s not ready after 30s", o.Dir)
	}
	return ns, nil
}

// Connect dials url, or the in-process server ns when url is empty. The
// connection reconnects forever, so that workers and front ends outlive a
// NATS restart.
func Connect(url string, ns *server.Server, name string) (*nats.Conn, error) {
	opts := []nats.Option{
		nats.Name(name), nats.MaxReconnects(-1), nats.ReconnectWait(250 * time.Millisecond),
		nats.ReconnectBufSize(16 << 20),
	}
	if url == "" {
		if ns == nil {
			return nil, fmt.Errorf("queue: connect: no NATS url and no embedded server")
		}
		opts = append(opts, nats.InProcessServer(ns))
	}
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		return nil, fmt.Errorf("queue: connect %s: %w", url, err)
	}
	return nc, nil
}

// Close sends what is buffered (acknowledgements, hand-backs) when the
// server is reachable, then closes the connection.
func Close(nc *nats.Conn) {
	if nc.IsConnected() {
		_ = nc.FlushTimeout(2 * time.Second)
	}
	nc.Close()
}
