package bench

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTick is Linux's USER_HZ, the unit of /proc/PID/stat times.
const clockTick = 10 * time.Millisecond

// procCPU is a process's CPU time including its waited-for children
// (utime+stime+cutime+cstime of /proc/PID/stat).
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// Fields after the command name, which is in parentheses.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0, fmt.Errorf("bench: bad /proc/%d/stat", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 15 {
		return 0, fmt.Errorf("bench: short /proc/%d/stat", pid)
	}
	var ticks int64
	for _, k := range f[11:15] { // fields 14-17 of stat
		v, err := strconv.ParseInt(k, 10, 64)
		if err != nil {
			return 0, err
		}
		ticks += v
	}
	return time.Duration(ticks) * clockTick, nil
}

// procRSS is a process's VmRSS in bytes.
func procRSS(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("bench: no VmRSS for %d", pid)
}

// children lists a process's child pids, from every process's ppid
// (/proc/PID/task/*/children needs a kernel option this one may lack).
func children(pid int) []int {
	return childMap()[pid]
}

// childMap maps each pid to its children's pids.
func childMap() map[int][]int {
	ents, _ := os.ReadDir("/proc")
	m := map[int][]int{}
	for _, e := range ents {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		i := strings.LastIndexByte(string(b), ')')
		f := strings.Fields(string(b[i+1:]))
		if i < 0 || len(f) < 2 {
			continue
		}
		if pp, err := strconv.Atoi(f[1]); err == nil {
			m[pp] = append(m[pp], p)
		}
	}
	return m
}

// descendants lists pid's children, grandchildren and so on.
func descendants(pid int) []int {
	m := childMap()
	var out []int
	queue := m[pid]
	for len(queue) > 0 && len(out) < 100000 {
		p := queue[0]
		queue = queue[1:]
		out = append(out, p)
		queue = append(queue, m[p]...)
	}
	return out
}

// treeCPU is the CPU time of pid and all its live descendants, each with
// its waited-for children: the server's whole cost, whether a session's
// processes still run or were reaped.
func treeCPU(pid int) (time.Duration, error) {
	total, err := procCPU(pid)
	if err != nil {
		return 0, err
	}
	for _, d := range descendants(pid) {
		if c, err := procCPU(d); err == nil {
			total += c
		}
	}
	return total, nil
}

// treeRSS is the summed VmRSS of pid and its live descendants.
func treeRSS(pid int) (int64, error) {
	total, err := procRSS(pid)
	if err != nil {
		return 0, err
	}
	for _, d := range descendants(pid) {
		if r, err := procRSS(d); err == nil {
			total += r
		}
	}
	return total, nil
}

// waitNoChildren waits until pid has no children (so that their CPU time
// is in its cutime), at most limit.
func waitNoChildren(pid int, limit time.Duration) {
	deadline := time.Now().Add(limit)
	for len(children(pid)) > 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
}
