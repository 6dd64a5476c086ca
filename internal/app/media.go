package app

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/handoff-chat/handoff/internal/config"
	"github.com/handoff-chat/handoff/internal/media"
	"github.com/handoff-chat/handoff/internal/media/s3store"
)

// mediaCheckTimeout bounds the start-up check of the object store.
const mediaCheckTimeout = 10 * time.Second

// openMedia opens the store of uploaded images: the folder under the data
// directory, or the object store. An object store that does not answer is
// no start-up error, as with the shared search index: the processes of a
// deployment start in any order, and uploads and images answer 503 until
// it does. One that answers and refuses (no such bucket, a key it does not
// take, another region) stops start-up, naming the key to mend.
func (a *App) openMedia(ctx context.Context) (*media.Store, error) {
	cfg := a.cfg
	if cfg.Media.Backend != config.MediaS3 {
		dir := filepath.Join(cfg.DataDir, "media")
		folder, err := media.NewFolder(dir)
		if err != nil {
			return nil, err
		}
		a.logger.Info("media store opened", "backend", config.MediaFolder, "dir", dir)
		return media.New(folder, cfg.HTTP.MaxUploadBytes), nil
	}
	backend, err := s3store.New(cfg.Media.S3.Options())
	if err != nil {
		return nil, fmt.Errorf("config key media.s3: %w", err)
	}
	probe, cancel := context.WithTimeout(ctx, mediaCheckTimeout)
	defer cancel()
	err = backend.Check(probe)
	switch {
	case err == nil:
		a.logger.Info("media store opened", "backend", config.MediaS3, "store", backend.String())
	case errors.Is(err, media.ErrUnavailable):
		a.logger.Warn("the object store does not answer yet; uploads and images answer 503 until it does",
			"store", backend.String(), "error", err)
	case errors.Is(err, s3store.ErrNoSuchBucket):
		return nil, fmt.Errorf("config key media.s3.bucket: %w (create it, or name one that exists)", err)
	case errors.Is(err, s3store.ErrAccessDenied):
		return nil, fmt.Errorf("config keys media.s3.access_key_id and media.s3.secret_access_key: %w", err)
	case errors.Is(err, s3store.ErrWrongRegion):
		return nil, fmt.Errorf("config key media.s3.region: %w", err)
	default:
		return nil, fmt.Errorf("config key media.s3.endpoint %s: %w", cfg.Media.S3.Endpoint, err)
	}
	return media.New(backend, cfg.HTTP.MaxUploadBytes), nil
}
