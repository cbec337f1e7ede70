package bench

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// Leftovers lists what a finished run of the bench process pid would have
// left behind: its network namespaces, a TUN device of its name outside
// them, its cgroups, its throwaway account, and any process whose command
// line names the run's temp dir (servers: sshd -f DIR/sshd_config,
// ssh3-server -cert DIR/cert.pem; their session processes die with them).
// Empty means clean. Call it after Host.Close.
func Leftovers(pid int, dir string) []string {
	var left []string
	if out, err := exec.Command("ip", "netns", "list").Output(); err == nil {
		prefix := fmt.Sprintf("ssh3b-%d-", pid)
		for _, line := range strings.Split(string(out), "\n") {
			if name, _, _ := strings.Cut(strings.TrimSpace(line), " "); strings.HasPrefix(name, prefix) {
				left = append(left, "network namespace "+name)
			}
		}
	}
	if out, err := exec.Command("ip", "-o", "link", "show").Output(); err == nil && bytes.Contains(out, []byte(tunName+":")) {
		left = append(left, "link "+tunName+" in the root namespace")
	}
	for _, root := range []string{"/sys/fs/cgroup/cpuacct", "/sys/fs/cgroup/unified", "/sys/fs/cgroup"} {
		dirs, _ := filepath.Glob(filepath.Join(root, fmt.Sprintf("ssh3bench-%d-*", pid)))
		for _, d := range dirs {
			left = append(left, "cgroup "+d)
		}
	}
	if b, err := os.ReadFile("/etc/passwd"); err == nil && bytes.Contains(b, []byte("\n"+benchUserPrefix+strconv.Itoa(pid)+":")) {
		left = append(left, "account "+benchUserPrefix+strconv.Itoa(pid))
	}
	if dir != "" {
		ents, _ := os.ReadDir("/proc")
		for _, e := range ents {
			p, err := strconv.Atoi(e.Name())
			if err != nil || p == pid {
				continue
			}
			cmd, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
			if err == nil && bytes.Contains(cmd, []byte(dir)) {
				left = append(left, fmt.Sprintf("process %d: %s", p, strings.TrimSpace(string(bytes.ReplaceAll(cmd, []byte{0}, []byte{' '})))))
			}
		}
	}
	if _, err := os.Stat(sshdRunDir); err == nil && createdRunDir {
		left = append(left, sshdRunDir)
	}
	return left
}
