package app

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/handoff-chat/handoff/internal/staff"
	"golang.org/x/crypto/bcrypt"
)

// AdminPasswordFile is where the all-in-one mode keeps the generated
// password of the user "admin" when auth.users is empty.
const AdminPasswordFile = "admin-password"

// SessionKeyFile holds the generated key that signs dashboard sessions
// when auth.session_secret is empty.
const SessionKeyFile = "session.key"

// staffDirectory returns the configured users and tokens. In the
// all-in-one mode, without tokens a generated admin token is kept in the
// data directory, and without users a user "admin" with a generated
// password, so the quick start needs no configuration.
func (a *App) staffDirectory(role Role) (*staff.Directory, error) {
	if a.directory != nil {
		return a.directory, nil
	}
	tokens := a.cfg.StaffTokens()
	users := a.cfg.StaffUsers()
	if len(tokens) == 0 {
		if role != RoleAll {
			return nil, errors.New("config key auth.tokens must list at least one name:secret staff token when the api role runs on its own")
		}
		secret, err := a.dataDirSecret(StaffTokenFile, 16, 24, "a staff API token")
		if err != nil {
			return nil, err
		}
		tokens = []staff.Token{{Secret: secret, Member: staff.Member{
			Name: "admin", DisplayName: a.cfg.Auth.StaffDisplayName("admin"), Role: staff.Admin,
		}}}
	}
	if len(users) == 0 && role == RoleAll {
		password, err := a.dataDirSecret(AdminPasswordFile, staff.MinPasswordLength, 15, `the password of the dashboard user "admin"`)
		if err != nil {
			return nil, err
		}
		hash, err := a.adminPasswordHash(password)
		if err != nil {
			return nil, err
		}
		users = []staff.User{{Name: "admin", DisplayName: a.cfg.Auth.StaffDisplayName("admin"), Role: staff.Admin, PasswordHash: hash}}
	}
	if len(users) == 0 {
		a.logger.Warn("auth.users is empty: nobody can log in to the dashboard of this api process; make password hashes with handoff passwd")
	}
	directory, err := staff.NewDirectory(users, tokens)
	if err != nil {
		return nil, fmt.Errorf("config key auth.users: %w", err)
	}
	a.directory = directory
	return directory, nil
}

// sessionKey returns auth.session_secret or the key kept in the data
// directory. An api process on its own without auth.session_secret gets a
// warning: other api processes will not accept its sessions.
func (a *App) sessionKey(role Role) ([]byte, error) {
	if a.cfg.Auth.SessionSecret != "" {
		return []byte(a.cfg.Auth.SessionSecret), nil
	}
	if role == RoleAPI {
		a.logger.Warn("auth.session_secret is not set: dashboard sessions are signed with a key of this process's data directory, so other api processes will not accept them")
	}
	key, err := a.dataDirSecret(SessionKeyFile, 32, 32, "the key that signs dashboard sessions")
	return []byte(key), err
}

// dataDirSecret returns the secret kept in file under the data directory,
// generating one of size random bytes (hex, or base64 when size is odd,
// for a shorter password) when the file does not exist. A file with fewer
// than minLen characters is an error that says what to do.
func (a *App) dataDirSecret(file string, minLen, size int, what string) (string, error) {
	path := filepath.Join(a.cfg.DataDir, file)
	b, err := os.ReadFile(path)
	if err == nil {
		if secret := strings.TrimSpace(string(b)); len(secret) >= minLen {
			return secret, nil
		}
		return "", fmt.Errorf("%s in %s is shorter than %d characters; delete the file to generate a new one", what, path, minLen)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("read %s: %w", what, err)
	}
	if err := os.MkdirAll(a.cfg.DataDir, 0o750); err != nil {
		return "", fmt.Errorf("create data directory %s: %w", a.cfg.DataDir, err)
	}
	buf := make([]byte, size)
	if _, err := rand.Read(buf); err != nil {
		return "", fmt.Errorf("generate %s: %w", what, err)
	}
	secret := hex.EncodeToString(buf)
	if size%2 == 1 {
		secret = base64.RawURLEncoding.EncodeToString(buf)
	}
	if err := os.WriteFile(path, []byte(secret+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("write %s to %s: %w", what, path, err)
	}
	a.logger.Info("generated "+what, "file", path)
	return secret, nil
}

// adminPasswordHash returns the bcrypt hash of the generated admin
// password, kept beside it: a session names a digest of the hash it was
// opened with, so a hash made anew at every start (bcrypt salts each one)
// would end every session at every restart.
func (a *App) adminPasswordHash(password string) (string, error) {
	path := filepath.Join(a.cfg.DataDir, AdminPasswordFile+".hash")
	if b, err := os.ReadFile(path); err == nil {
		hash := strings.TrimSpace(string(b))
		if bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil {
			return hash, nil
		}
	}
	hash, err := staff.HashPassword(password)
	if err != nil {
		return "", fmt.Errorf("%s: %w", filepath.Join(a.cfg.DataDir, AdminPasswordFile), err)
	}
	if err := os.WriteFile(path, []byte(hash+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("write the admin password's hash to %s: %w", path, err)
	}
	return hash, nil
}
