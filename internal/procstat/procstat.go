// Package procstat reads the memory fields of /proc/self/status (VmHWM,
// VmRSS, RssAnon, RssFile) for the benchmark programs and opt-in
// benchmarks. On systems without /proc every field reads as 0.
package procstat

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Bytes returns a "kB" field of /proc/self/status (e.g. "VmHWM") in
// bytes, 0 when it cannot be read.
func Bytes(field string) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), field+":"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb * 1024
		}
	}
	return 0
}

// String returns a field in MiB for reports ("n/a" when unreadable).
func String(field string) string {
	b := Bytes(field)
	if b == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20))
}

// PeakRSS is String("VmHWM"): the process's peak resident memory.
func PeakRSS() string { return String("VmHWM") }
