package app

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// WebChatKeyFile holds the generated key that signs web chat visitor tokens
// when webchat.secret is empty.
const WebChatKeyFile = "webchat.key"

// webChatKey returns webchat.secret or the key kept in the data directory,
// generating it on first start. An api process on its own without
// webchat.secret gets a warning: its tokens are not accepted by other api
// processes.
func (a *App) webChatKey(role Role) ([]byte, error) {
	if a.cfg.WebChat.Secret != "" {
		return []byte(a.cfg.WebChat.Secret), nil
	}
	if role == RoleAPI {
		a.logger.Warn("webchat.secret is not set: visitor tokens are signed with a key of this process's data directory, so other api processes will not accept them")
	}
	path := filepath.Join(a.cfg.DataDir, WebChatKeyFile)
	b, err := os.ReadFile(path)
	if err == nil {
		if key := strings.TrimSpace(string(b)); len(key) >= 32 {
			return []byte(key), nil
		}
		return nil, fmt.Errorf("web chat key file %s is shorter than 32 characters; delete it to generate a new one (existing visitors then start over)", path)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read web chat key: %w", err)
	}
	if err := os.MkdirAll(a.cfg.DataDir, 0o750); err != nil {
		return nil, fmt.Errorf("create data directory %s: %w", a.cfg.DataDir, err)
	}
	buf := make([]byte, 32)
	if _, err := rand.Read(buf); err != nil {
		return nil, fmt.Errorf("generate web chat key: %w", err)
	}
	key := hex.EncodeToString(buf)
	if err := os.WriteFile(path, []byte(key+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("write web chat key to %s: %w", path, err)
	}
	a.logger.Info("generated the key that signs web chat visitor tokens", "file", path)
	return []byte(key), nil
}
