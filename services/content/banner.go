package content

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"unicode/utf8"

	"github.com/blogapi/blogapi/models"
	"github.com/blogapi/blogapi/services"
)

// ErrBannerNotFound: no banner with that id.
var ErrBannerNotFound = errors.New("banner not found")

// Banner limits.
const (
	MaxBannerTitleRunes   = 100
	MaxBannerSummaryRunes = 300
	MaxBanners            = 50
	MaxBannerIndex        = 9999
)

// BannerStore is models.BannerStore.
type BannerStore interface {
	All(ctx context.Context) ([]models.Banner, error)
	Change(ctx context.Context, fn func([]models.Banner) ([]models.Banner, error)) ([]models.Banner, error)
}

// Banner is a banner of the home page: Index orders them (smallest
// first), Enabled ones are public.
type Banner struct {
	ID, Cover, GoURL, Title, Summary string
	Index                            int
	Enabled                          bool
	Created, Updated                 int64
}

// BannerInput are a banner's fields as an admin sends them: nil keeps a
// field (on create: its default; Cover is required, Enabled defaults to
// true).
type BannerInput struct {
	Cover, GoURL, Title, Summary *string
	Index                        *int
	Enabled                      *bool
}

func bannerOf(b models.Banner) Banner {
	return Banner{ID: b.ID, Cover: b.Cover, GoURL: b.GoURL, Title: b.Title, Summary: b.Summary, Index: b.Index,
		Enabled: b.Enabled, Created: b.Created, Updated: b.Updated}
}

func sortBanners(bs []models.Banner) []Banner {
	slices.SortStableFunc(bs, func(a, b models.Banner) int {
		return cmp.Or(cmp.Compare(a.Index, b.Index), cmp.Compare(a.Created, b.Created), cmp.Compare(a.ID, b.ID))
	})
	out := make([]Banner, len(bs))
	for i, b := range bs {
		out[i] = bannerOf(b)
	}
	return out
}

// Banners returns the enabled banners in order (GET /blogapi/banner: one
// read by `_id`).
func (s *Service) Banners(ctx context.Context) ([]Banner, error) {
	if s.st.Banners == nil {
		return []Banner{}, nil
	}
	all, err := s.st.Banners.All(ctx)
	if err != nil {
		return nil, err
	}
	on := all[:0]
	for _, b := range all {
		if b.Enabled {
			on = append(on, b)
		}
	}
	return sortBanners(on), nil
}

// AllBanners returns every banner, disabled ones too, in order.
func (s *Service) AllBanners(ctx context.Context) ([]Banner, error) {
	all, err := s.st.Banners.All(ctx)
	if err != nil {
		return nil, err
	}
	return sortBanners(all), nil
}

// apply checks in and sets its fields on b.
func (in BannerInput) apply(b *models.Banner) error {
	if in.Cover != nil {
		if *in.Cover == "" {
			return services.Invalid("cover", "is required")
		}
		if err := checkURL("cover", *in.Cover); err != nil {
			return err
		}
		b.Cover = *in.Cover
	}
	if in.GoURL != nil {
		if err := checkURL("goUrl", *in.GoURL); err != nil {
			return err
		}
		b.GoURL = *in.GoURL
	}
	if in.Title != nil {
		if utf8.RuneCountInString(*in.Title) > MaxBannerTitleRunes {
			return services.Invalid("title", "must be at most 100 characters")
		}
		b.Title = *in.Title
	}
	if in.Summary != nil {
		if utf8.RuneCountInString(*in.Summary) > MaxBannerSummaryRunes {
			return services.Invalid("summary", "must be at most 300 characters")
		}
		b.Summary = *in.Summary
	}
	if in.Index != nil {
		if *in.Index < 0 || *in.Index > MaxBannerIndex {
			return services.Invalid("index", "must be an integer from 0 to 9999")
		}
		b.Index = *in.Index
	}
	if in.Enabled != nil {
		b.Enabled = *in.Enabled
	}
	return nil
}

// CreateBanner adds a banner (Cover required; Enabled defaults to true).
// Errors: a services.FieldError.
func (s *Service) CreateBanner(ctx context.Context, in BannerInput) (Banner, error) {
	if in.Cover == nil {
		return Banner{}, services.Invalid("cover", "is required")
	}
	now := s.nowMs()
	b := models.Banner{ID: models.NewBannerID(), Enabled: true, Created: now, Updated: now}
	if err := in.apply(&b); err != nil {
		return Banner{}, err
	}
	_, err := s.st.Banners.Change(ctx, func(all []models.Banner) ([]models.Banner, error) {
		if len(all) >= MaxBanners {
			return nil, services.Invalid("cover", "at most 50 banners")
		}
		return append(all, b), nil
	})
	if err != nil {
		return Banner{}, err
	}
	return bannerOf(b), nil
}

// EditBanner sets the given fields of banner id and returns it before and
// after (equal when nothing changed). Errors: ErrBannerNotFound, a
// services.FieldError.
func (s *Service) EditBanner(ctx context.Context, id string, in BannerInput) (before, after Banner, err error) {
	var old, b models.Banner
	_, err = s.st.Banners.Change(ctx, func(all []models.Banner) ([]models.Banner, error) {
		i := slices.IndexFunc(all, func(b models.Banner) bool { return b.ID == id })
		if i < 0 {
			return nil, ErrBannerNotFound
		}
		old, b = all[i], all[i]
		if err := in.apply(&b); err != nil {
			return nil, err
		}
		if b != old {
			b.Updated = s.nowMs()
		}
		all[i] = b
		return all, nil
	})
	if err != nil {
		return Banner{}, Banner{}, err
	}
	return bannerOf(old), bannerOf(b), nil
}

// DeleteBanner removes banner id and returns it. Errors: ErrBannerNotFound.
func (s *Service) DeleteBanner(ctx context.Context, id string) (Banner, error) {
	var gone models.Banner
	_, err := s.st.Banners.Change(ctx, func(all []models.Banner) ([]models.Banner, error) {
		i := slices.IndexFunc(all, func(b models.Banner) bool { return b.ID == id })
		if i < 0 {
			return nil, ErrBannerNotFound
		}
		gone = all[i]
		return slices.Delete(all, i, i+1), nil
	})
	if err != nil {
		return Banner{}, err
	}
	return bannerOf(gone), nil
}
