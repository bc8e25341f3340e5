package admin

import (
	"context"
	"errors"

	"github.com/blogapi/blogapi/models"
	"github.com/blogapi/blogapi/services/content"
)

// Banners are the home page's banners as the admin manages them
// (content.Service). Errors are content's (banner not found, a field out
// of bounds).
type Banners interface {
	AllBanners(ctx context.Context) ([]content.Banner, error)
	CreateBanner(ctx context.Context, in content.BannerInput) (content.Banner, error)
	EditBanner(ctx context.Context, id string, in content.BannerInput) (before, after content.Banner, err error)
	DeleteBanner(ctx context.Context, id string) (content.Banner, error)
}

// Audit actions of the banner routes.
const (
	ActionBannerCreate = "banner.create"
	ActionBannerEdit   = "banner.edit"
	ActionBannerDelete = "banner.delete"
)

// errNoBanners is a banner route on a service built without the blog.
var errNoBanners = errors.New("admin: no banner service configured")

func bannerFields(b content.Banner) map[string]any {
	return map[string]any{"cover": b.Cover, "goUrl": b.GoURL, "title": b.Title, "summary": b.Summary,
		"index": b.Index, "enabled": b.Enabled}
}

// ListBanners returns every banner, disabled ones too, in order.
func (s *Service) ListBanners(ctx context.Context) ([]content.Banner, error) {
	if s.d.Banners == nil {
		return nil, errNoBanners
	}
	return s.d.Banners.AllBanners(ctx)
}

// CreateBanner adds a banner and records it.
func (s *Service) CreateBanner(ctx context.Context, a Actor, in content.BannerInput) (content.Banner, error) {
	if s.d.Banners == nil {
		return content.Banner{}, errNoBanners
	}
	b, err := s.d.Banners.CreateBanner(ctx, in)
	if err != nil {
		return content.Banner{}, err
	}
	s.record(ctx, a, models.AuditEntry{Action: ActionBannerCreate, TargetType: "banner", Target: b.ID, After: bannerFields(b)})
	return b, nil
}

// EditBanner sets the given fields of banner id and records the changed
// ones (a change to the same values records nothing).
func (s *Service) EditBanner(ctx context.Context, a Actor, id string, in content.BannerInput) (content.Banner, error) {
	if s.d.Banners == nil {
		return content.Banner{}, errNoBanners
	}
	before, after, err := s.d.Banners.EditBanner(ctx, id, in)
	if err != nil {
		return content.Banner{}, err
	}
	b, n := bannerFields(before), bannerFields(after)
	for k, v := range b {
		if n[k] == v {
			delete(b, k)
			delete(n, k)
		}
	}
	if len(n) > 0 {
		s.record(ctx, a, models.AuditEntry{Action: ActionBannerEdit, TargetType: "banner", Target: id, Before: b, After: n})
	}
	return after, nil
}

// DeleteBanner removes banner id and records what it was.
func (s *Service) DeleteBanner(ctx context.Context, a Actor, id string) error {
	if s.d.Banners == nil {
		return errNoBanners
	}
	b, err := s.d.Banners.DeleteBanner(ctx, id)
	if err != nil {
		return err
	}
	s.record(ctx, a, models.AuditEntry{Action: ActionBannerDelete, TargetType: "banner", Target: id, Before: bannerFields(b)})
	return nil
}
