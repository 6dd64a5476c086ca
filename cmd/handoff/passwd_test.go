package main

import (
	"bytes"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

func TestPasswdPrintsABcryptHashOfStdin(t *testing.T) {
	var out bytes.Buffer
	if err := runPasswd(nil, strings.NewReader("correct horse battery\n"), &out); err != nil {
		t.Fatal(err)
	}
	hash := strings.TrimSpace(out.String())
	if err := bcrypt.CompareHashAndPassword([]byte(hash), []byte("correct horse battery")); err != nil {
		t.Errorf("printed %q, which is not the hash of the password: %v", hash, err)
	}
	for _, tc := range []struct{ in, want string }{
		{"", "no password on standard input"},
		{"short\n", "at least 10 characters"},
		{strings.Repeat("x", 80), "at most 72 bytes"},
	} {
		if err := runPasswd(nil, strings.NewReader(tc.in), &out); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("password %q: error %v, want %q", tc.in, err, tc.want)
		}
	}
}
