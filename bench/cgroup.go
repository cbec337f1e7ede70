package bench

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// cpuGroup is a cgroup the bench makes for one server, so that the CPU
// time of everything the server starts is counted, including processes
// that exit without being waited for by their parent (OpenSSH's post-auth
// session process is not in its master's cutime, for one).
type cpuGroup struct {
	dir  string
	file string // cpuacct.usage (v1, ns) or cpu.stat (v2, usage_usec)
}

// newCPUGroup makes the cgroup; root only, and where a CPU-accounting
// hierarchy is mounted.
func newCPUGroup(name string) (*cpuGroup, error) {
	for _, c := range []struct{ root, file string }{
		{"/sys/fs/cgroup/cpuacct", "cpuacct.usage"},
		{"/sys/fs/cgroup/unified", "cpu.stat"},
		{"/sys/fs/cgroup", "cpu.stat"},
	} {
		if _, err := os.Stat(filepath.Join(c.root, "cgroup.procs")); err != nil {
			continue
		}
		dir := filepath.Join(c.root, name)
		if err := os.Mkdir(dir, 0o755); err != nil {
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, c.file)); err != nil {
			_ = os.Remove(dir)
			continue
		}
		return &cpuGroup{dir: dir, file: c.file}, nil
	}
	return nil, errors.New("bench: no writable cgroup with CPU accounting")
}

func (g *cpuGroup) add(pid int) error {
	return os.WriteFile(filepath.Join(g.dir, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0)
}

// usage is the group's CPU time so far.
func (g *cpuGroup) usage() (time.Duration, error) {
	b, err := os.ReadFile(filepath.Join(g.dir, g.file))
	if err != nil {
		return 0, err
	}
	if g.file == "cpuacct.usage" {
		ns, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
		return time.Duration(ns), err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "usage_usec "); ok {
			us, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			return time.Duration(us) * time.Microsecond, err
		}
	}
	return 0, fmt.Errorf("bench: no usage_usec in %s", g.dir)
}

// close moves what is left to the parent group and removes the group.
func (g *cpuGroup) close() error {
	parent := filepath.Join(filepath.Dir(g.dir), "cgroup.procs")
	if b, err := os.ReadFile(filepath.Join(g.dir, "cgroup.procs")); err == nil {
		for _, pid := range strings.Fields(string(b)) {
			_ = os.WriteFile(parent, []byte(pid), 0)
		}
	}
	var err error
	for range 250 { // a process that just exited may hold it for a moment
		if err = os.Remove(g.dir); err == nil || os.IsNotExist(err) {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return err
}

// serverCPU measures a server's CPU time: through a cgroup where one can
// be made, else from /proc (the server's tree with waited-for children).
type serverCPU struct {
	pid int
	g   *cpuGroup
}

func newServerCPU(pid int) *serverCPU {
	s := &serverCPU{pid: pid}
	if g, err := newCPUGroup(fmt.Sprintf("ssh3bench-%d-%d", os.Getpid(), pid)); err == nil {
		if g.add(pid) == nil {
			s.g = g
		} else {
			_ = g.close()
		}
	}
	return s
}

func (s *serverCPU) source() string {
	if s.g != nil {
		return "cgroup"
	}
	return "proc"
}

func (s *serverCPU) now() (time.Duration, error) {
	if s.g != nil {
		return s.g.usage()
	}
	return treeCPU(s.pid)
}

// close removes the cgroup (the server has stopped); failures are logged.
func (s *serverCPU) close(log io.Writer) {
	if s.g != nil {
		if err := s.g.close(); err != nil {
			fmt.Fprintf(log, "bench: removing cgroup %s: %v\n", s.g.dir, err)
		}
	}
}

// cleanStaleGroups removes the cgroups of bench processes that no longer
// run.
func cleanStaleGroups() []string {
	var gone []string
	for _, root := range []string{"/sys/fs/cgroup/cpuacct", "/sys/fs/cgroup/unified", "/sys/fs/cgroup"} {
		dirs, _ := filepath.Glob(filepath.Join(root, "ssh3bench-*"))
		for _, d := range dirs {
			var pid, server int
			if _, err := fmt.Sscanf(filepath.Base(d), "ssh3bench-%d-%d", &pid, &server); err != nil || processAlive(pid) {
				continue
			}
			g := &cpuGroup{dir: d}
			if g.close() == nil {
				gone = append(gone, "cgroup "+d)
			}
		}
	}
	return gone
}
