//go:build cgo && linux

package verify

/*
#cgo LDFLAGS: -lpam
#include <security/pam_appl.h>
#include <stdlib.h>
#include <string.h>

// ssh3_conv answers every hidden prompt with the password; visible prompts
// (a second factor asking for a code) cannot be answered over Basic and fail.
static int ssh3_conv(int n, const struct pam_message **msg, struct pam_response **resp, void *appdata) {
	const char *pw = appdata;
	struct pam_response *r;
	int i;
	if (n <= 0 || n > PAM_MAX_NUM_MSG) return PAM_CONV_ERR;
	r = calloc((size_t)n, sizeof *r);
	if (r == NULL) return PAM_BUF_ERR;
	for (i = 0; i < n; i++) {
		switch (msg[i]->msg_style) {
		case PAM_PROMPT_ECHO_OFF:
			r[i].resp = strdup(pw);
			if (r[i].resp == NULL) goto fail;
			break;
		case PAM_ERROR_MSG:
		case PAM_TEXT_INFO:
			break;
		default:
			goto fail;
		}
	}
	*resp = r;
	return PAM_SUCCESS;
fail:
	for (i = 0; i < n; i++) {
		if (r[i].resp != NULL) {
			memset(r[i].resp, 0, strlen(r[i].resp));
			free(r[i].resp);
		}
	}
	free(r);
	return PAM_CONV_ERR;
}

// ssh3_nodelay replaces PAM's own failure delay: the Verifier applies one
// fixed delay to every failure.
static void ssh3_nodelay(int retval, unsigned usec, void *appdata) {
	(void)retval; (void)usec; (void)appdata;
}

static int ssh3_pam_check(const char *service, const char *user, char *pw, const char *rhost, int *stage) {
	struct pam_conv conv = { ssh3_conv, pw };
	pam_handle_t *h = NULL;
	int rc;
	*stage = 0;
	rc = pam_start(service, user, &conv, &h);
	if (rc != PAM_SUCCESS) return rc;
	pam_set_item(h, PAM_FAIL_DELAY, (const void *)ssh3_nodelay);
	if (rhost != NULL && rhost[0] != 0) pam_set_item(h, PAM_RHOST, rhost);
	*stage = 1;
	rc = pam_authenticate(h, PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK);
	if (rc == PAM_SUCCESS) {
		*stage = 2;
		rc = pam_acct_mgmt(h, PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK);
	}
	pam_end(h, rc);
	return rc;
}

static const char *ssh3_pam_strerror(int rc) { return pam_strerror(NULL, rc); }

static void ssh3_wipe_free(char *p) {
	memset(p, 0, strlen(p));
	free(p);
}
*/
import "C"

import (
	"context"
	"fmt"
	"unsafe"

	"github.com/ssh3-project/ssh3/auth"
)

// PAMAvailable reports whether this build can check passwords with PAM.
const PAMAvailable = true

// CheckPassword runs pam_authenticate then pam_acct_mgmt (account expiry,
// locks, access rules) for the service, PAM's own failure delay switched
// off. An expired password (PAM_NEW_AUTHTOK_REQD) is refused: it cannot be
// changed over Basic.
func (p *PAM) CheckPassword(ctx context.Context, user, password, remoteHost string) error {
	if err := p.acquire(ctx); err != nil {
		return err
	}
	defer p.release()
	service := C.CString(p.service())
	defer C.free(unsafe.Pointer(service))
	cuser := C.CString(user)
	defer C.free(unsafe.Pointer(cuser))
	cpw := C.CString(password)
	defer C.ssh3_wipe_free(cpw)
	crhost := C.CString(remoteHost)
	defer C.free(unsafe.Pointer(crhost))
	var stage C.int
	rc := C.ssh3_pam_check(service, cuser, cpw, crhost, &stage)
	if rc == C.PAM_SUCCESS {
		return nil
	}
	step := [...]string{"pam_start", "pam_authenticate", "pam_acct_mgmt"}[stage]
	return fmt.Errorf("%w: %s: %s", auth.ErrBadPassword, step, C.GoString(C.ssh3_pam_strerror(rc)))
}
