package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/handoff-chat/handoff/internal/staff"
)

// runPasswd reads a password from the first line of stdin and prints its
// bcrypt hash for auth.users ("name:role:<hash>").
func runPasswd(args []string, stdin io.Reader, stdout io.Writer) error {
	if len(args) > 0 {
		return fmt.Errorf("handoff passwd takes no arguments (got %q); it reads the password from standard input", args)
	}
	line, err := bufio.NewReader(io.LimitReader(stdin, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("read the password from standard input: %w", err)
	}
	password := strings.TrimRight(line, "\r\n")
	if password == "" {
		return errors.New("no password on standard input; for example: printf '%s' 'a long password' | handoff passwd")
	}
	hash, err := staff.HashPassword(password)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, hash)
	return err
}
