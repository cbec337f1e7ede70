package bench

import (
	"os"
	"os/exec"
	"slices"
	"testing"
)

func TestProcReaders(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	cmd := exec.Command("sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Skip("no sleep:", err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	me := os.Getpid()
	if !slices.Contains(children(me), cmd.Process.Pid) || !slices.Contains(descendants(me), cmd.Process.Pid) {
		t.Errorf("children(%d) = %v, want %d among them", me, children(me), cmd.Process.Pid)
	}
	if c, err := procCPU(me); err != nil || c < 0 {
		t.Errorf("procCPU = %v, %v", c, err)
	}
	if c, err := treeCPU(me); err != nil || c < 0 {
		t.Errorf("treeCPU = %v, %v", c, err)
	}
	rss, err := procRSS(me)
	if err != nil || rss <= 0 {
		t.Errorf("procRSS = %d, %v", rss, err)
	}
	if tree, err := treeRSS(me); err != nil || tree < rss {
		t.Errorf("treeRSS = %d, %v; want at least the process's own %d", tree, err, rss)
	}
	if _, err := procCPU(-1); err == nil {
		t.Error("procCPU of no process succeeded")
	}
}
