package main

import (
	"bufio"
	"fmt"
	"os"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/goautopipe/diffusers/tensor"
)

// setMemoryLimit gives the garbage collector a soft limit of 80% of the
// machine's memory unless GOMEMLIMIT is set. Model weights are large and
// long-lived; with the default GOGC alone the heap may grow to twice them
// before a collection (an SDXL run would need ~30 GiB instead of ~15).
func setMemoryLimit() {
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	if total := memTotal(); total > 0 {
		debug.SetMemoryLimit(total / 10 * 8)
	}
}

// memTotal reads MemTotal from /proc/meminfo (Linux); 0 elsewhere.
func memTotal() int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		fields := strings.Fields(s.Text())
		if len(fields) >= 2 && fields[0] == "MemTotal:" {
			kb, err := strconv.ParseInt(fields[1], 10, 64)
			if err != nil {
				return 0
			}
			return kb * 1024
		}
	}
	return 0
}

// maxScratchMiB bounds AUTOPIPE_SCRATCH_MIB (1 TiB).
const maxScratchMiB = 1 << 20

// setScratchLimit applies AUTOPIPE_SCRATCH_MIB: how many MiB of
// intermediate buffers the tensor package keeps for reuse between the
// operations of a generation (tensor.SetScratchLimit; unset or empty: its
// default, 0: none kept).
func setScratchLimit() error {
	v := os.Getenv("AUTOPIPE_SCRATCH_MIB")
	if v == "" {
		return nil
	}
	mib, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || mib < 0 || mib > maxScratchMiB {
		return fmt.Errorf("AUTOPIPE_SCRATCH_MIB=%q: want a whole number of MiB from 0 to %d", v, maxScratchMiB)
	}
	tensor.SetScratchLimit(mib << 20)
	return nil
}
