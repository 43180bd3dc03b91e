package procstat

import (
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestPeakAtLeastCurrent(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	rss, peak := Bytes("VmRSS"), Bytes("VmHWM")
	assert.Greater(t, rss, int64(1<<20), "a Go test process holds more than 1 MiB")
	assert.GreaterOrEqual(t, peak, rss)
	assert.Equal(t, int64(0), Bytes("NoSuchField"))
	assert.Equal(t, "n/a", String("NoSuchField"))
}
