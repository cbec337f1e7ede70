package main

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"os"

	"golang.org/x/crypto/ssh"

	"github.com/ssh3-project/ssh3/auth"
)

// credentials lists what to try, in ssh's order: the agent's keys (unless
// IdentitiesOnly), then the identity files (-i, then IdentityFile, else the
// default files), then a password when asked for or when nothing else
// exists and a terminal or an askpass program can prompt.
func credentials(o *options, s *settings, tty *terminal, log *slog.Logger) ([]auth.Credential, error) {
	var creds []auth.Credential
	if o.usePassword {
		return []auth.Credential{passwordCredential(tty)}, nil
	}
	if o.agentKey != "" || !s.host.IdentitiesOnly {
		creds = append(creds, agentCredentials(o, log)...)
	}
	files := append(append([]string(nil), o.identities...), s.host.IdentityFiles...)
	explicit := len(files) > 0
	if !explicit {
		files = auth.DefaultKeyFiles(s.home)
	}
	for _, f := range files {
		signer, err := auth.LoadKeyFile(f, tty.passphrase)
		switch {
		case err == nil:
			creds = append(creds, &auth.KeyCredential{Signer: signer})
		case errors.Is(err, fs.ErrNotExist) && !explicit:
		case errors.Is(err, fs.ErrNotExist):
			log.Warn("identity file not found", "file", f)
		default:
			if explicit {
				return nil, err
			}
			log.Info("identity file skipped", "file", f, "err", err)
		}
	}
	if len(creds) == 0 && (tty.isTerminal() || askpassProgram(os.Getenv, false, fileExists) != "") {
		creds = append(creds, passwordCredential(tty))
	}
	return creds, nil
}

func agentCredentials(o *options, log *slog.Logger) []auth.Credential {
	if os.Getenv(auth.AgentSocketEnv) == "" {
		return nil
	}
	a, err := auth.DialAgent("")
	if err != nil {
		log.Info("agent unavailable", "err", err)
		return nil
	}
	var signers []ssh.Signer
	if o.agentKey != "" {
		pub, err := readPublicKey(o.agentKey)
		if err != nil {
			log.Warn("agent key", "err", err)
			return nil
		}
		s, err := a.SignerFor(pub)
		if err != nil {
			log.Warn("agent key", "err", err)
			return nil
		}
		signers = []ssh.Signer{s}
	} else if signers, err = a.UsableSigners(); err != nil {
		log.Debug("agent", "err", err)
		return nil
	}
	creds := make([]auth.Credential, 0, len(signers))
	for _, s := range signers {
		creds = append(creds, &auth.KeyCredential{Signer: s})
	}
	return creds
}

func readPublicKey(file string) (ssh.PublicKey, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	pub, _, _, _, err := ssh.ParseAuthorizedKey(data)
	return pub, err
}

func passwordCredential(tty *terminal) auth.Credential {
	return &auth.PasswordCredential{Password: func(ctx context.Context, user string) (string, error) {
		return tty.readSecret(user + "'s password: ")
	}}
}
