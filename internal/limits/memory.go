package limits

import (
	"bufio"
	"io"
	"math"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
)

// fallbackMemory is assumed when the machine's memory cannot be read.
const fallbackMemory = 64 << 30

// AvailableMemory is the memory a call may use: the Go memory limit when
// one is set (debug.SetMemoryLimit, GOMEMLIMIT), otherwise the smaller of
// the machine's memory and the cgroup's limit (Linux), otherwise 64 GiB.
func AvailableMemory() int64 {
	if l := debug.SetMemoryLimit(-1); l > 0 && l < math.MaxInt64 {
		return l
	}
	m := meminfoTotal()
	if c := cgroupLimit(); c > 0 && (m == 0 || c < m) {
		m = c
	}
	if m <= 0 {
		return fallbackMemory
	}
	return m
}

// meminfoTotal reads MemTotal from /proc/meminfo (0 when unavailable).
func meminfoTotal() int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(io.LimitReader(f, 1<<16))
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "MemTotal:" {
			kb, err := strconv.ParseInt(fields[1], 10, 64)
			if err == nil && kb > 0 {
				return sat(kb, 1024)
			}
		}
	}
	return 0
}

// cgroupLimit reads the cgroup v2 memory.max of the process (0 when
// unavailable or "max").
func cgroupLimit() int64 {
	f, err := os.Open("/sys/fs/cgroup/memory.max")
	if err != nil {
		return 0
	}
	defer f.Close()
	b, _ := io.ReadAll(io.LimitReader(f, 64))
	n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil || n <= 0 {
		return 0
	}
	return n
}
