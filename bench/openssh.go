package bench

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
)

// openSSHInstallHint is printed when ssh or sshd is missing.
const openSSHInstallHint = "apt-get install -y openssh-client openssh-server"

// sshdConfig is the bench's own sshd configuration: its own host key,
// authorized_keys and pid file in a temp dir; port and address come as -o.
const sshdConfig = `HostKey %[1]s/ssh_host_ed25519_key
AuthorizedKeysFile %[2]s
PidFile %[1]s/sshd.pid
StrictModes no
UsePAM no
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
PrintMotd no
PrintLastLog no
UseDNS no
MaxStartups 2000:30:4000
MaxSessions 100
`

// OpenSSH is Debian's ssh and sshd, the server started by the bench with
// its own config; the system's sshd is never touched.
func OpenSSH() *Impl {
	impl := &Impl{
		Name:   "openssh",
		Server: "{sshd} -D -e -f {dir}/sshd_config -o Port={port} -o ListenAddress={host}",
		Client: "ssh -F none -i {key} -p {port} -o IdentitiesOnly=yes -o StrictHostKeyChecking=no " +
			"-o UserKnownHostsFile={dir}/known_hosts -o BatchMode=yes -o LogLevel=ERROR {user}@{host} {cmd}",
		FwdClient: "ssh -F none -i {key} -p {port} -o IdentitiesOnly=yes -o StrictHostKeyChecking=no " +
			"-o UserKnownHostsFile={dir}/known_hosts -o BatchMode=yes -o LogLevel=ERROR -N -L {lport}:{target} {user}@{host}",
		IdleClient: "ssh -F none -i {key} -p {port} -o IdentitiesOnly=yes -o StrictHostKeyChecking=no " +
			"-o UserKnownHostsFile={dir}/known_hosts -o BatchMode=yes -o LogLevel=ERROR " +
			"-o PermitLocalCommand=yes -o 'LocalCommand=echo up' -N {user}@{host}",
		NoUDP:   "n/a: OpenSSH has no UDP forwarding",
		Trace:   TraceSSHv,
		Ready:   regexp.MustCompile(`Server listening on`),
		Proto:   "tcp",
		Prepare: prepareSSHD,
		// sshd run as an ordinary user closes a pty session at once here.
		PtyNeedsRoot: true,
	}
	sshd, err := exec.LookPath("sshd")
	if err != nil {
		sshd = "/usr/sbin/sshd"
	}
	_, errClient := exec.LookPath("ssh")
	if _, err := os.Stat(sshd); err != nil || errClient != nil {
		impl.Skip = "ssh or sshd not installed (" + openSSHInstallHint + ")"
	}
	impl.Server = "'" + sshd + "'" + impl.Server[len("{sshd}"):]
	// sshd -e prints "Server listening" at INFO, which startServer waits for.
	impl.Server += " -o LogLevel=INFO"
	return impl
}

func prepareSSHD(h *Host) error {
	if err := os.WriteFile(filepath.Join(h.Dir, "sshd_config"), fmt.Appendf(nil, sshdConfig, h.Dir, h.AuthKeys), 0o600); err != nil {
		return err
	}
	key := filepath.Join(h.Dir, "ssh_host_ed25519_key")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key).CombinedOutput(); err != nil {
		return fmt.Errorf("bench: ssh-keygen: %v: %s", err, out)
	}
	if os.Geteuid() == 0 {
		// sshd's privilege separation directory; Debian's init script makes
		// it when it starts the system's sshd. Made here when missing, and
		// then removed again by Host.Close.
		if _, err := os.Stat(sshdRunDir); os.IsNotExist(err) {
			if err := os.Mkdir(sshdRunDir, 0o755); err != nil {
				return err
			}
			createdRunDir = true
		}
	}
	return nil
}

// sshdRunDir is sshd's privilege separation directory.
const sshdRunDir = "/run/sshd"

// createdRunDir records that the bench made sshdRunDir (and must remove it).
var createdRunDir bool

// removeRunDir removes sshdRunDir if the bench made it and it is empty.
func removeRunDir() error {
	if !createdRunDir {
		return nil
	}
	createdRunDir = false
	if err := os.Remove(sshdRunDir); err != nil && !os.IsNotExist(err) {
		return err
	}
	return nil
}

// SSH3 is this project's client and server with one profile.
func SSH3(profile string) *Impl {
	return &Impl{
		Name: "ssh3/" + profile,
		Server: "{bin}/ssh3-server -bind {host}:{port} -url-path /bench -cert {dir}/cert.pem -key {dir}/priv.key " +
			"-generate-selfsigned-cert -authorized-keys {authkeys}",
		Client:    "{bin}/ssh3 -insecure -q -profile " + profile + " -i {key} {user}@{host}:{port}/bench {cmd}",
		FwdClient: "{bin}/ssh3 -insecure -q -profile " + profile + " -i {key} -N -L {lport}:{target} {user}@{host}:{port}/bench",
		UDPClient: "{bin}/ssh3 -insecure -q -profile " + profile + " -i {key} -N -forward-udp {lport}/127.0.0.1@{tport} {user}@{host}:{port}/bench",
		Ready:     regexp.MustCompile(`msg=listening`),
		Proto:     "udp",
		Trace:     TraceQlog,
	}
}

// Template is an implementation given on the command line.
func Template(name, client, server string) *Impl {
	return &Impl{Name: name, Client: client, Server: server, Proto: "tcp"}
}
