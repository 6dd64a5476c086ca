// Package staff knows who works the dashboard and the staff API: users who
// log in with a password (bcrypt hashes from config), API tokens, and the
// role each has.
package staff

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"sort"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// Role is what a staff member may do.
type Role string

const (
	// Agent works conversations: reads them, switches live chat, replies.
	Agent Role = "agent"
	// Admin also changes settings, flows, the knowledge base and the
	// template library.
	Admin Role = "admin"
	// Auditor reads everything and changes nothing.
	Auditor Role = "auditor"
)

// ParseRole returns the role called s.
func ParseRole(s string) (Role, error) {
	switch r := Role(strings.ToLower(strings.TrimSpace(s))); r {
	case Agent, Admin, Auditor:
		return r, nil
	}
	return "", fmt.Errorf("role %q is none of agent, admin, auditor", s)
}

// MayWork tells whether the role may change conversations (reply, switch
// live chat, send blocks).
func (r Role) MayWork() bool { return r == Agent || r == Admin }

// MayAdminister tells whether the role may change settings, flows, the
// knowledge base and templates.
func (r Role) MayAdminister() bool { return r == Admin }

// Member is one authenticated staff member.
type Member struct {
	// Name identifies the member; it is recorded as the author of changes.
	Name string
	// DisplayName is what customers see on the member's messages.
	DisplayName string
	Role        Role
	// credential identifies the password (or token) the member
	// authenticated with, so a session ends when it changes.
	credential string
}

// Credential is a digest of the member's password hash (or token): a
// session keeps it and is refused once the password changed.
func (m Member) Credential() string { return m.credential }

// User is a staff member who logs in with a password.
type User struct {
	Name         string
	DisplayName  string
	Role         Role
	PasswordHash string
}

// Token is an API token with the member it stands for.
type Token struct {
	Secret string
	Member Member
}

// Directory holds the users and tokens.
type Directory struct {
	users  map[string]User
	tokens []Token
	// dummyHash is compared against when a login names no user, so the
	// answer takes as long as for a user with a wrong password.
	dummyHash []byte
}

// NewDirectory checks users and tokens and returns their directory.
func NewDirectory(users []User, tokens []Token) (*Directory, error) {
	d := &Directory{users: map[string]User{}}
	for _, u := range users {
		if _, dup := d.users[strings.ToLower(u.Name)]; dup {
			return nil, fmt.Errorf("user %q is listed twice", u.Name)
		}
		if _, err := bcrypt.Cost([]byte(u.PasswordHash)); err != nil {
			return nil, fmt.Errorf("user %q: the password hash is not a bcrypt hash (make one with handoff passwd): %w", u.Name, err)
		}
		d.users[strings.ToLower(u.Name)] = u
	}
	d.tokens = tokens
	hash, err := bcrypt.GenerateFromPassword([]byte("no such user"), bcrypt.DefaultCost)
	if err != nil {
		return nil, fmt.Errorf("prepare the password check: %w", err)
	}
	d.dummyHash = hash
	return d, nil
}

// ErrBadLogin is the answer to a wrong name or password; it never says
// which of the two was wrong.
var ErrBadLogin = errors.New("the name or the password is wrong")

// Login checks a user's password.
func (d *Directory) Login(name, password string) (Member, error) {
	u, ok := d.users[strings.ToLower(strings.TrimSpace(name))]
	if !ok {
		_ = bcrypt.CompareHashAndPassword(d.dummyHash, []byte(password))
		return Member{}, ErrBadLogin
	}
	if bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(password)) != nil {
		return Member{}, ErrBadLogin
	}
	return u.member(), nil
}

// User returns the member of the user called name, if there is one.
func (d *Directory) User(name string) (Member, bool) {
	u, ok := d.users[strings.ToLower(name)]
	if !ok {
		return Member{}, false
	}
	return u.member(), true
}

// HasUsers tells whether anyone can log in with a password.
func (d *Directory) HasUsers() bool { return len(d.users) > 0 }

// Users lists the users by name.
func (d *Directory) Users() []Member {
	out := make([]Member, 0, len(d.users))
	for _, u := range d.users {
		out = append(out, u.member())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// ByToken returns the member whose API token is secret. Every token is
// compared, in constant time, so the answer's timing tells nothing about
// the secrets.
func (d *Directory) ByToken(secret string) (Member, bool) {
	given := sha256.Sum256([]byte(secret))
	var found Member
	ok := false
	for _, t := range d.tokens {
		want := sha256.Sum256([]byte(t.Secret))
		if subtle.ConstantTimeCompare(given[:], want[:]) == 1 {
			found, ok = t.Member, true
		}
	}
	return found, ok
}

// Tokens are the API tokens.
func (d *Directory) Tokens() []Token { return d.tokens }

func (u User) member() Member {
	sum := sha256.Sum256([]byte(u.PasswordHash))
	return Member{Name: u.Name, DisplayName: u.DisplayName, Role: u.Role, credential: fmt.Sprintf("%x", sum[:8])}
}

// HashPassword returns the bcrypt hash of password, for auth.users. It
// refuses passwords shorter than MinPasswordLength and longer than bcrypt
// takes (72 bytes).
func HashPassword(password string) (string, error) {
	if len([]rune(password)) < MinPasswordLength {
		return "", fmt.Errorf("the password must be at least %d characters", MinPasswordLength)
	}
	if len(password) > 72 {
		return "", errors.New("the password must be at most 72 bytes (bcrypt ignores the rest)")
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), PasswordCost)
	if err != nil {
		return "", fmt.Errorf("hash the password: %w", err)
	}
	return string(hash), nil
}

// MinPasswordLength is the shortest password HashPassword takes.
const MinPasswordLength = 10

// PasswordCost is bcrypt's cost for new hashes.
const PasswordCost = 12

// IsPasswordHash tells whether s is a bcrypt hash.
func IsPasswordHash(s string) bool {
	_, err := bcrypt.Cost([]byte(s))
	return err == nil
}
