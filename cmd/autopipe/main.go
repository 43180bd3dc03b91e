package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/goautopipe/diffusers/autopipeline"
	"github.com/goautopipe/diffusers/internal/demo"
)

func main() {
	setMemoryLimit()
	if err := setScratchLimit(); err != nil {
		fmt.Fprintln(os.Stderr, "autopipe:", err)
		os.Exit(exitUsage)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Exit statuses.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// usageError is a mistake in the command line.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// commands are the subcommands, in help order.
var commands = []struct {
	name, summary string
	task          task
}{
	{"text2img", "generate images from a prompt", taskText2Image},
	{"img2img", "redraw an input image guided by a prompt", taskImage2Image},
	{"inpaint", "repaint the white part of a mask over an input image", taskInpaint},
}

// run is the whole command: it returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	name, rest := args[0], args[1:]
	switch name {
	case "version", "-version", "--version", "-v":
		fmt.Fprintln(stdout, version())
		return exitOK
	case "help", "-h", "-help", "--help":
		if len(rest) == 0 {
			usage(stdout)
			return exitOK
		}
		for _, c := range commands {
			if c.name == rest[0] {
				fs, _ := newFlagSet(c.task, stdout)
				fs.Usage()
				return exitOK
			}
		}
		fmt.Fprintf(stderr, "autopipe help: unknown subcommand %q\n", rest[0])
		return exitUsage
	}
	if svc, ok := services[name]; ok { // serve, worker
		return report(svc(ctx, rest, stdout, stderr), name, stderr)
	}
	for _, c := range commands {
		if c.name != name {
			continue
		}
		err := generate(ctx, c.task, rest, stdout, stderr)
		return report(err, name, stderr)
	}
	fmt.Fprintf(stderr, "autopipe: unknown subcommand %q\n\n", name)
	usage(stderr)
	return exitUsage
}

// report prints err and returns the exit status for it.
func report(err error, name string, stderr io.Writer) int {
	var ue usageError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "autopipe %s: %v\nRun 'autopipe help %s' for the flags.\n", name, err, name)
		return exitUsage
	case errors.Is(err, autopipeline.ErrInvalidRequest):
		fmt.Fprintf(stderr, "autopipe %s: invalid request: %v\n", name, err)
		return exitUsage
	case errors.Is(err, context.Canceled):
		fmt.Fprintf(stderr, "autopipe %s: canceled\n", name)
		return exitFailure
	default:
		fmt.Fprintf(stderr, "autopipe %s: %v\n", name, err)
		return exitFailure
	}
}

func usage(w io.Writer) {
	var b strings.Builder
	b.WriteString("autopipe generates images with Stable Diffusion and SDXL checkpoints.\n\n")
	b.WriteString("Usage:\n\n\tautopipe <subcommand> [-m <folder|org/name>] -p \"...\" [flags]\n\nSubcommands:\n\n")
	for _, c := range commands {
		fmt.Fprintf(&b, "\t%-9s %s\n", c.name, c.summary)
	}
	b.WriteString("\thelp      show this text, or a subcommand's flags: autopipe help text2img\n")
	b.WriteString("\tversion   print the version\n\n")
	b.WriteString("Without --model the embedded demo model " + demo.Name + " draws simple shapes:\n\n")
	b.WriteString("\tautopipe text2img -p \"a red circle on a blue background\" -o circle.png\n\n")
	b.WriteString("Example with a Hub checkpoint:\n\n\tautopipe text2img -m stabilityai/stable-diffusion-xl-base-1.0 \\\n")
	b.WriteString("\t    -p \"a lighthouse at dawn\" --steps 30 --sampler dpm++2m_karras -s 42 -o lighthouse.png\n")
	io.WriteString(w, b.String())
}

// version is the module version and VCS revision the binary was built from.
func version() string {
	v, rev, dirty := "(devel)", "", ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch {
			case s.Key == "vcs.revision" && len(s.Value) >= 12:
				rev = " " + s.Value[:12]
			case s.Key == "vcs.modified" && s.Value == "true":
				dirty = "+dirty"
			}
		}
	}
	return "autopipe " + v + rev + dirty + " " + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH
}
