// Package spec carries this project's protocol text (SPEC.md), its
// requirement list (REQUIREMENTS.md) and the interop vectors (vectors/), and
// gives code access to the vectors. It imports the standard library only, so
// any layer's tests and the conformance suite can use it.
package spec
