package app

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
	key, err := a.dataDirSecret(WebChatKeyFile, 32, 32, "the key that signs web chat visitor tokens")
	return []byte(key), err
}
