package auth_test

import (
	"fmt"

	"github.com/ssh3-project/ssh3/auth"
)

func ExampleBasicAuthorization() {
	h, err := auth.BasicAuthorization("ssh3test", "pw")
	fmt.Println(h, err)
	_, err = auth.BasicAuthorization("a:b", "pw")
	fmt.Println(err)
	// Output:
	// Basic c3NoM3Rlc3Q6cHc= <nil>
	// auth: malformed authorization header: basic: user-id contains ':'
}

func ExampleEncodeBinding() {
	jti, _ := auth.EncodeBinding(make([]byte, 32))
	fmt.Println(jti, len(jti))
	// Output: AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= 44
}
