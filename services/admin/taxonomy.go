package admin

import (
	"context"
	"errors"

	"github.com/blogapi/blogapi/models"
	"github.com/blogapi/blogapi/services/content"
)

// Taxonomy is the blog's types, categories and tags as the admin manages
// them (content.Service). Errors are content's (not found, exists, in use,
// a field out of bounds).
type Taxonomy interface {
	AdminTypes(ctx context.Context) ([]content.TypeInfo, error)
	CreateType(ctx context.Context, identify, name string, index *int) (content.TypeInfo, error)
	EditType(ctx context.Context, identify string, in content.TaxonomyEdit) (before, after content.TypeInfo, err error)
	DeleteType(ctx context.Context, identify, replacement string) (gone content.TypeInfo, moved int, changed bool, err error)
	AdminCategories(ctx context.Context) ([]content.CategoryInfo, error)
	CreateCategory(ctx context.Context, name string, index *int) (content.CategoryInfo, error)
	EditCategory(ctx context.Context, name string, in content.TaxonomyEdit) (before, after content.CategoryInfo, moved int, changed bool, err error)
	DeleteCategory(ctx context.Context, name, replacement string) (gone content.CategoryInfo, moved int, changed bool, err error)
	AdminTags(ctx context.Context) ([]content.TagInfo, error)
	CreateTag(ctx context.Context, name string) (content.TagInfo, error)
	RenameTag(ctx context.Context, name, newName string) (before, after content.TagInfo, moved int, changed bool, err error)
	DeleteTag(ctx context.Context, name string) (gone content.TagInfo, moved int, changed bool, err error)
}

// Audit actions of the taxonomy routes (docs/admin.md, "Taxonomy").
const (
	ActionTypeCreate      = "type.create"
	ActionTypeRename      = "type.rename"
	ActionTypeReorder     = "type.reorder"
	ActionTypeDelete      = "type.delete"
	ActionCategoryCreate  = "category.create"
	ActionCategoryRename  = "category.rename"
	ActionCategoryReorder = "category.reorder"
	ActionCategoryDelete  = "category.delete"
	ActionTagCreate       = "tag.create"
	ActionTagRename       = "tag.rename"
	ActionTagDelete       = "tag.delete"
)

// The audit entries' target types and the fields a move records.
const (
	targetType, targetCat, targetTag = "type", "category", "tag"
	fieldArticles, fieldTo           = "articles", "movedTo"
)

// errNoTaxonomy is a taxonomy route on a service built without the blog.
var errNoTaxonomy = errors.New("admin: no taxonomy service configured")

func (s *Service) taxonomy() (Taxonomy, error) {
	if s.d.Taxonomy == nil {
		return nil, errNoTaxonomy
	}
	return s.d.Taxonomy, nil
}

// ListTypes returns every type in order with its article count.
func (s *Service) ListTypes(ctx context.Context) ([]content.TypeInfo, error) {
	t, err := s.taxonomy()
	if err != nil {
		return nil, err
	}
	return t.AdminTypes(ctx)
}

// CreateType adds a type and records it (type.create).
func (s *Service) CreateType(ctx context.Context, a Actor, identify, name string, index *int) (content.TypeInfo, error) {
	t, err := s.taxonomy()
	if err != nil {
		return content.TypeInfo{}, err
	}
	ti, err := t.CreateType(ctx, identify, name, index)
	if err != nil {
		return content.TypeInfo{}, err
	}
	s.record(ctx, a, models.AuditEntry{Action: ActionTypeCreate, TargetType: targetType, Target: ti.Identify,
		After: map[string]any{"name": ti.Name, "index": ti.Index}})
	return ti, nil
}

// changes is the before → after of the fields that differ.
func changes(before, after map[string]any) (b, n map[string]any) {
	b, n = map[string]any{}, map[string]any{}
	for k, v := range before {
		if after[k] != v {
			b[k], n[k] = v, after[k]
		}
	}
	return b, n
}

// EditType renames or reorders a type and records it (type.rename when
// the name changed, else type.reorder); no change records nothing.
func (s *Service) EditType(ctx context.Context, a Actor, identify string, in content.TaxonomyEdit) (content.TypeInfo, error) {
	t, err := s.taxonomy()
	if err != nil {
		return content.TypeInfo{}, err
	}
	before, after, err := t.EditType(ctx, identify, in)
	if err != nil {
		return content.TypeInfo{}, err
	}
	b, n := changes(map[string]any{"name": before.Name, "index": before.Index}, map[string]any{"name": after.Name, "index": after.Index})
	if len(n) > 0 {
		action := ActionTypeReorder
		if _, ok := n["name"]; ok {
			action = ActionTypeRename
		}
		s.record(ctx, a, models.AuditEntry{Action: action, TargetType: targetType, Target: identify, Before: b, After: n})
	}
	return after, nil
}

// DeleteType deletes a type, moving its articles to replacement (when
// given), and records it (type.delete; after: the replacement and the
// number of articles moved). A retry with nothing left to do records
// nothing.
func (s *Service) DeleteType(ctx context.Context, a Actor, identify, replacement string) (content.TypeInfo, int, error) {
	t, err := s.taxonomy()
	if err != nil {
		return content.TypeInfo{}, 0, err
	}
	gone, moved, changed, err := t.DeleteType(ctx, identify, replacement)
	if err != nil {
		return content.TypeInfo{}, 0, err
	}
	if changed {
		s.record(ctx, a, models.AuditEntry{Action: ActionTypeDelete, TargetType: targetType, Target: identify,
			Before: map[string]any{"name": gone.Name, "index": gone.Index},
			After:  map[string]any{fieldTo: replacement, fieldArticles: moved}})
	}
	return gone, moved, nil
}

// ListCategories returns every category in order with its counts.
func (s *Service) ListCategories(ctx context.Context) ([]content.CategoryInfo, error) {
	t, err := s.taxonomy()
	if err != nil {
		return nil, err
	}
	return t.AdminCategories(ctx)
}

// CreateCategory adds a category and records it (category.create).
func (s *Service) CreateCategory(ctx context.Context, a Actor, name string, index *int) (content.CategoryInfo, error) {
	t, err := s.taxonomy()
	if err != nil {
		return content.CategoryInfo{}, err
	}
	c, err := t.CreateCategory(ctx, name, index)
	if err != nil {
		return content.CategoryInfo{}, err
	}
	s.record(ctx, a, models.AuditEntry{Action: ActionCategoryCreate, TargetType: targetCat, Target: c.Name,
		After: map[string]any{"name": c.Name, "index": c.Index}})
	return c, nil
}

// EditCategory renames (moving every article along) or reorders a
// category and records it (category.rename, with the number of articles
// moved, or category.reorder; target the old name); no change records
// nothing. It returns the category after and the number of articles moved.
func (s *Service) EditCategory(ctx context.Context, a Actor, name string, in content.TaxonomyEdit) (content.CategoryInfo, int, error) {
	t, err := s.taxonomy()
	if err != nil {
		return content.CategoryInfo{}, 0, err
	}
	before, after, moved, changed, err := t.EditCategory(ctx, name, in)
	if err != nil {
		return content.CategoryInfo{}, 0, err
	}
	if changed {
		b, n := changes(map[string]any{"name": before.Name, "index": before.Index}, map[string]any{"name": after.Name, "index": after.Index})
		action := ActionCategoryReorder
		if before.Name != after.Name {
			action = ActionCategoryRename
			n[fieldArticles] = moved
		}
		s.record(ctx, a, models.AuditEntry{Action: action, TargetType: targetCat, Target: name, Before: b, After: n})
	}
	return after, moved, nil
}

// DeleteCategory deletes a category as DeleteType deletes a type
// (category.delete).
func (s *Service) DeleteCategory(ctx context.Context, a Actor, name, replacement string) (content.CategoryInfo, int, error) {
	t, err := s.taxonomy()
	if err != nil {
		return content.CategoryInfo{}, 0, err
	}
	gone, moved, changed, err := t.DeleteCategory(ctx, name, replacement)
	if err != nil {
		return content.CategoryInfo{}, 0, err
	}
	if changed {
		s.record(ctx, a, models.AuditEntry{Action: ActionCategoryDelete, TargetType: targetCat, Target: name,
			Before: map[string]any{"name": gone.Name, "index": gone.Index},
			After:  map[string]any{fieldTo: replacement, fieldArticles: moved}})
	}
	return gone, moved, nil
}

// ListTags returns every tag with its article count.
func (s *Service) ListTags(ctx context.Context) ([]content.TagInfo, error) {
	t, err := s.taxonomy()
	if err != nil {
		return nil, err
	}
	return t.AdminTags(ctx)
}

// CreateTag adds a tag and records it (tag.create).
func (s *Service) CreateTag(ctx context.Context, a Actor, name string) (content.TagInfo, error) {
	t, err := s.taxonomy()
	if err != nil {
		return content.TagInfo{}, err
	}
	tg, err := t.CreateTag(ctx, name)
	if err != nil {
		return content.TagInfo{}, err
	}
	s.record(ctx, a, models.AuditEntry{Action: ActionTagCreate, TargetType: targetTag, Target: tg.Name,
		After: map[string]any{"name": tg.Name}})
	return tg, nil
}

// RenameTag renames a tag in every article that has it and records it
// (tag.rename, with the number of articles changed); the same name
// records nothing.
func (s *Service) RenameTag(ctx context.Context, a Actor, name, newName string) (content.TagInfo, int, error) {
	t, err := s.taxonomy()
	if err != nil {
		return content.TagInfo{}, 0, err
	}
	before, after, moved, changed, err := t.RenameTag(ctx, name, newName)
	if err != nil {
		return content.TagInfo{}, 0, err
	}
	if changed {
		s.record(ctx, a, models.AuditEntry{Action: ActionTagRename, TargetType: targetTag, Target: name,
			Before: map[string]any{"name": before.Name}, After: map[string]any{"name": after.Name, fieldArticles: moved}})
	}
	return after, moved, nil
}

// DeleteTag deletes a tag, removing it from every article, and records
// it (tag.delete, with the number of articles changed).
func (s *Service) DeleteTag(ctx context.Context, a Actor, name string) (content.TagInfo, int, error) {
	t, err := s.taxonomy()
	if err != nil {
		return content.TagInfo{}, 0, err
	}
	gone, moved, changed, err := t.DeleteTag(ctx, name)
	if err != nil {
		return content.TagInfo{}, 0, err
	}
	if changed {
		s.record(ctx, a, models.AuditEntry{Action: ActionTagDelete, TargetType: targetTag, Target: name,
			Before: map[string]any{"name": gone.Name}, After: map[string]any{fieldArticles: moved}})
	}
	return gone, moved, nil
}
