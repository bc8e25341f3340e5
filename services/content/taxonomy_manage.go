package content

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/blogapi/blogapi/models"
	"github.com/blogapi/blogapi/services"
)

// The admin's taxonomy (docs/admin.md, "Taxonomy"): types, categories and
// tags are created, renamed, reordered and deleted; a rename or a deletion
// with a replacement reaches every article that names the old one.
//
// How a change reaches the articles without losing an author's edit: the
// old document becomes a forwarding entry first (`movedTo`), then every
// article naming it is rewritten by `_id` under its lock (version + 1).
// An author's publish or edit that checked the old name just before writes
// it after the sweep passed; so every publish and edit, after its write,
// reads the taxonomy again and moves its own article along (settle). One
// of the two always sees the other's write, and a retried rename completes
// a half-done one.

// Sentinels of the admin's taxonomy.
var (
	// ErrTypeNotFound, ErrCategoryNotFound, ErrTagNotFound: no such
	// type, category or tag (a forwarding entry is none either).
	ErrTypeNotFound     = errors.New("type not found")
	ErrCategoryNotFound = errors.New("category not found")
	ErrTagNotFound      = errors.New("tag not found")
	// ErrTypeExists, ErrCategoryExists, ErrTagExists: the identify,
	// name or new name is taken.
	ErrTypeExists     = errors.New("type already exists")
	ErrCategoryExists = errors.New("category already exists")
	ErrTagExists      = errors.New("tag already exists")
	// ErrTypeInUse, ErrCategoryInUse: articles still name it and no
	// replacement was given.
	ErrTypeInUse     = errors.New("type is used by articles")
	ErrCategoryInUse = errors.New("category is used by articles")
	// ErrTaxonomyConflict: another instance changed the same entry
	// meanwhile; retry.
	ErrTaxonomyConflict = errors.New("taxonomy changed meanwhile")
)

// Limits of the taxonomy's names (docs/admin.md, "Taxonomy"); tags keep
// the publish rule, MaxTagRunes.
const (
	MaxTypeNameRunes     = 20
	MaxCategoryNameRunes = 32
	MaxTaxonomyIndex     = 9999
)

// identifyRE is a type's identify: what articles store and URLs carry.
var identifyRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)

// TypeInfo is a type as the admin sees it: Articles counts every article
// naming it, deleted ones included (the ones a deletion must move).
type TypeInfo struct {
	Identify, Name string
	Index          int
	Created        int64
	Articles       int
}

// CategoryInfo is a category as the admin sees it: Articles as for
// TypeInfo, Count its public articles (the public list's count).
type CategoryInfo struct {
	Name            string
	Index           int
	Created         int64
	Articles, Count int
}

// TagInfo is a tag as the admin sees it; Articles as for TypeInfo.
type TagInfo struct {
	Name     string
	Created  int64
	Articles int
}

// TaxonomyEdit is what an admin sends to change a type or category: nil
// keeps a field. Name renames (a type's display name; a category's name,
// its key), Index reorders (0–MaxTaxonomyIndex, smaller first).
type TaxonomyEdit struct {
	Name  *string
	Index *int
}

// snapshot is the whole taxonomy, forwarding entries included.
type snapshot struct {
	types map[string]models.ArticleType
	cats  map[string]models.Category
	tags  map[string]models.Tag
}

func (s *Service) snapshot(ctx context.Context) (snapshot, error) {
	x := snapshot{types: map[string]models.ArticleType{}, cats: map[string]models.Category{}, tags: map[string]models.Tag{}}
	types, err := s.st.Taxonomy.Types(ctx)
	if err != nil {
		return x, err
	}
	for _, t := range types {
		x.types[t.Identify] = t
	}
	cats, err := s.st.Taxonomy.Categories(ctx)
	if err != nil {
		return x, err
	}
	for _, c := range cats {
		x.cats[c.Name] = c
	}
	tags, err := s.st.Taxonomy.Tags(ctx)
	if err != nil {
		return x, err
	}
	for _, t := range tags {
		x.tags[t.Name] = t
	}
	return x, nil
}

// follow walks key through forwarding entries: the key it ends at, and
// whether that one exists and is not forwarding. Chains are short (each
// entry forwards to one that existed); a loop or a chain of more than 8
// ends as not live.
func follow[T any](m map[string]T, key string, next func(T) string) (string, bool) {
	for range 8 {
		d, ok := m[key]
		if !ok {
			return key, false
		}
		n := next(d)
		if n == "" {
			return key, true
		}
		key = n
	}
	return key, false
}

// missingEnd walks key as follow does and reports a chain that ends at a
// key with no document: that key, and the last document on the way (nil
// when key itself has none).
func missingEnd[T any](m map[string]T, key string, next func(T) string) (end string, last *T, missing bool) {
	for range 8 {
		d, ok := m[key]
		if !ok {
			return key, last, true
		}
		n := next(d)
		if n == "" {
			return key, last, false
		}
		last, key = &d, n
	}
	return key, last, false
}

func typeNext(t models.ArticleType) string { return t.MovedTo }
func catNext(c models.Category) string     { return c.MovedTo }
func tagNext(t models.Tag) string          { return t.MovedTo }

// resolve maps what a writer sent through the forwarding entries: a
// renamed or replaced type or category becomes the one it moved to, tags
// likewise (duplicates collapse). A forwarding entry whose target does not
// exist yet is a rename under way (the old name forwards before the new
// one is put): the name is kept, and settle moves the article once it is
// written. Errors: a FieldError for a type or category that is not one.
func (x snapshot) resolve(in *ArticleInput) error {
	var err error
	if in.Type, err = through(x.types, in.Type, typeNext, "type", "must be one of the article types"); err != nil {
		return err
	}
	if in.Category, err = through(x.cats, in.Category, catNext, "category", "must be one of the categories"); err != nil {
		return err
	}
	in.Tags = x.tagsOf(in.Tags)
	return nil
}

// through is key through the forwarding entries of m (see resolve).
func through[T any](m map[string]T, key string, next func(T) string, field, reason string) (string, error) {
	end, ok := follow(m, key, next)
	if ok {
		return end, nil
	}
	if _, exists := m[end]; exists || end == key {
		return "", services.Invalid(field, reason) // missing, or a loop
	}
	return key, nil
}

// tagsOf is tags through the forwarding entries, duplicates collapsed.
func (x snapshot) tagsOf(tags []string) []string {
	out := make([]string, 0, len(tags))
	for _, tg := range tags {
		n, _ := follow(x.tags, tg, tagNext)
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// fix moves a along the forwarding entries; it reports whether a changed.
func (x snapshot) fix(a *models.Article) bool {
	changed := false
	if t, _ := follow(x.types, a.Type, typeNext); t != a.Type {
		a.Type, changed = t, true
	}
	if c, _ := follow(x.cats, a.Category, catNext); c != a.Category {
		a.Category, changed = c, true
	}
	if tags := x.tagsOf(a.Tags); !slices.Equal(tags, a.Tags) {
		a.Tags, changed = tags, true
	}
	return changed
}

// settle runs after a publish or an edit wrote a: when the taxonomy moved
// on meanwhile (a rename or deletion whose sweep passed before the write),
// it moves a along, and puts back a type, category or tag deleted under
// it. It returns the article as stored; a failure is logged (the
// admin's retry of the rename completes it).
func (s *Service) settle(ctx context.Context, a models.Article) models.Article {
	x, err := s.snapshot(ctx)
	if err != nil {
		s.log.WarnContext(ctx, "article not settled with the taxonomy", "article", a.ID, "err", err.Error())
		return a
	}
	now := s.nowMs()
	// A missing end of the chain: deleted under the write, or the target
	// of a rename that has not put it yet (it takes the order and
	// creation time of the entry forwarding to it, as the rename would).
	if end, last, missing := missingEnd(x.types, a.Type, typeNext); missing && a.Type != "" {
		t := models.ArticleType{Identify: end, Name: end, Created: now, Index: x.nextTypeIndex()}
		if last != nil {
			t.Name, t.Created, t.Index = last.Name, last.Created, last.Index
		}
		if err := s.st.Taxonomy.PutType(ctx, t); err != nil && !errors.Is(err, models.ErrDuplicate) {
			s.log.WarnContext(ctx, "type of an article not restored", "article", a.ID, "err", err.Error())
		}
	}
	if end, last, missing := missingEnd(x.cats, a.Category, catNext); missing && a.Category != "" {
		c := models.Category{Name: end, Created: now, Index: x.nextCategoryIndex()}
		if last != nil {
			c.Created, c.Index = last.Created, last.Index
		}
		if err := s.st.Taxonomy.PutCategory(ctx, c); err != nil && !errors.Is(err, models.ErrDuplicate) {
			s.log.WarnContext(ctx, "category of an article not restored", "article", a.ID, "err", err.Error())
		}
	}
	probe := a
	if x.fix(&probe) {
		if after, err := s.sweepOne(ctx, a.ID, x.fix); err != nil {
			s.log.WarnContext(ctx, "article not settled with the taxonomy", "article", a.ID, "err", err.Error())
		} else if after != nil {
			a = *after
		}
	}
	var missing []string
	for _, tg := range a.Tags {
		if _, ok := x.tags[tg]; !ok {
			missing = append(missing, tg)
		}
	}
	if len(missing) > 0 {
		if err := s.st.Taxonomy.EnsureTags(ctx, missing, now); err != nil {
			s.log.WarnContext(ctx, "tags of an article not restored", "article", a.ID, "err", err.Error())
		}
	}
	return a
}

// sweepOne applies fix to article id under its lock (version + 1);
// retried when another instance wrote the article meanwhile. It returns
// the article written, nil when fix changed nothing.
func (s *Service) sweepOne(ctx context.Context, id string, fix func(*models.Article) bool) (*models.Article, error) {
	for range 5 {
		a, err := s.st.Articles.Update(ctx, id, func(a *models.Article) (*models.ArticleBody, error) {
			if !fix(a) {
				return nil, errUnchanged
			}
			return nil, nil
		})
		switch {
		case err == nil:
			return &a, nil
		case errors.Is(err, errUnchanged), errors.Is(err, models.ErrNotFound):
			return nil, nil
		case errors.Is(err, models.ErrConflict):
			continue
		default:
			return nil, err
		}
	}
	return nil, ErrTaxonomyConflict
}

// sweep applies fix to every article it changes, deleted ones too (one
// scan of `articles`, then each by `_id`), and returns how many changed.
func (s *Service) sweep(ctx context.Context, fix func(*models.Article) bool) (int, error) {
	all, err := s.st.Articles.Every(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, a := range all {
		if !fix(&a) {
			continue
		}
		after, err := s.sweepOne(ctx, a.ID, fix)
		if err != nil {
			return n, err
		}
		if after != nil {
			n++
		}
	}
	return n, nil
}

// usage counts, over every article (deleted ones too), the articles of
// each type, category and tag, and the public ones of each category.
type usage struct {
	types, cats, public, tags map[string]int
}

func (s *Service) usage(ctx context.Context) (usage, error) {
	u := usage{types: map[string]int{}, cats: map[string]int{}, public: map[string]int{}, tags: map[string]int{}}
	all, err := s.st.Articles.Every(ctx)
	if err != nil {
		return u, err
	}
	now := s.nowMs()
	for _, a := range all {
		u.types[a.Type]++
		u.cats[a.Category]++
		if (&entry{a: a}).public(now) {
			u.public[a.Category]++
		}
		for _, t := range a.Tags {
			u.tags[t]++
		}
	}
	return u, nil
}

// counted is usage for an answer's counts: a failure is logged and
// counts nothing (the change itself is done).
func (s *Service) counted(ctx context.Context) usage {
	u, err := s.usage(ctx)
	if err != nil {
		s.log.WarnContext(ctx, "taxonomy counts not read", "err", err.Error())
	}
	return u
}

// checkName trims v and collapses its whitespace, and checks it as the
// name of a type, category or tag (field: the parameter): not empty, at
// most maxRunes characters, no control character, no `/` or `\` (names
// travel in paths), not `.` or `..`.
func checkName(field, v string, maxRunes int) (string, error) {
	v = strings.TrimSpace(whitespace.ReplaceAllString(v, " "))
	switch {
	case v == "":
		return "", services.Invalid(field, "is required")
	case utf8.RuneCountInString(v) > maxRunes:
		return "", services.Invalid(field, "must be at most "+strconv.Itoa(maxRunes)+" characters")
	case strings.ContainsFunc(v, unicode.IsControl):
		return "", services.Invalid(field, "must not contain control characters")
	case strings.ContainsAny(v, `/\`) || v == "." || v == "..":
		return "", services.Invalid(field, `must not contain / or \ or be . or ..`)
	}
	return v, nil
}

func checkIndex(index *int) error {
	if index != nil && (*index < 0 || *index > MaxTaxonomyIndex) {
		return services.Invalid("index", "must be an integer from 0 to 9999")
	}
	return nil
}

func (x snapshot) nextTypeIndex() int {
	n := -1
	for _, t := range x.types {
		if t.MovedTo == "" {
			n = max(n, t.Index)
		}
	}
	return min(n+1, MaxTaxonomyIndex)
}

func (x snapshot) nextCategoryIndex() int {
	n := -1
	for _, c := range x.cats {
		if c.MovedTo == "" {
			n = max(n, c.Index)
		}
	}
	return min(n+1, MaxTaxonomyIndex)
}

// conflict turns the store's ErrConflict into ErrTaxonomyConflict.
func conflict(err error) error {
	if errors.Is(err, models.ErrConflict) {
		return ErrTaxonomyConflict
	}
	return err
}

// ---- types

func typeInfo(t models.ArticleType, u usage) TypeInfo {
	return TypeInfo{Identify: t.Identify, Name: t.Name, Index: t.Index, Created: t.Created, Articles: u.types[t.Identify]}
}

// AdminTypes returns every type in order with its article count (one scan
// of `articles`: an admin list).
func (s *Service) AdminTypes(ctx context.Context) ([]TypeInfo, error) {
	types, err := s.st.Taxonomy.Types(ctx)
	if err != nil {
		return nil, err
	}
	u, err := s.usage(ctx)
	if err != nil {
		return nil, err
	}
	out := []TypeInfo{}
	for _, t := range types {
		if t.MovedTo == "" {
			out = append(out, typeInfo(t, u))
		}
	}
	return out, nil
}

// liveType returns type identify unless it is missing or forwarding.
func (s *Service) liveType(ctx context.Context, identify string) (models.ArticleType, error) {
	t, err := s.st.Taxonomy.Type(ctx, identify)
	if errors.Is(err, models.ErrNotFound) || err == nil && t.MovedTo != "" {
		return t, ErrTypeNotFound
	}
	return t, err
}

// typeNameTaken reports a live type other than identify named name.
func (x snapshot) typeNameTaken(identify, name string) bool {
	for _, t := range x.types {
		if t.MovedTo == "" && t.Identify != identify && t.Name == name {
			return true
		}
	}
	return false
}

// CreateType adds the type identify named name, at index (nil: last).
// Errors: a FieldError (identify, name, index), ErrTypeExists (the
// identify, or the name of another type).
func (s *Service) CreateType(ctx context.Context, identify, name string, index *int) (TypeInfo, error) {
	if !identifyRE.MatchString(identify) {
		return TypeInfo{}, services.Invalid("identify", "must be 1 to 32 letters, digits, - or _")
	}
	name, err := checkName("name", name, MaxTypeNameRunes)
	if err != nil {
		return TypeInfo{}, err
	}
	if err := checkIndex(index); err != nil {
		return TypeInfo{}, err
	}
	s.tax.Lock()
	defer s.tax.Unlock()
	x, err := s.snapshot(ctx)
	if err != nil {
		return TypeInfo{}, err
	}
	if x.typeNameTaken(identify, name) {
		return TypeInfo{}, ErrTypeExists
	}
	t := models.ArticleType{Identify: identify, Name: name, Created: s.nowMs(), Index: x.nextTypeIndex()}
	if index != nil {
		t.Index = *index
	}
	if err := s.st.Taxonomy.PutType(ctx, t); err != nil {
		if errors.Is(err, models.ErrDuplicate) {
			return TypeInfo{}, ErrTypeExists
		}
		return TypeInfo{}, conflict(err)
	}
	return TypeInfo{Identify: t.Identify, Name: t.Name, Index: t.Index, Created: t.Created}, nil
}

// EditType renames (the display name; articles store the identify, so
// they follow at once) or reorders type identify. It returns the type
// before and after (equal when nothing changed). Errors:
// ErrTypeNotFound, a FieldError, ErrTypeExists (the name is another
// type's), ErrTaxonomyConflict.
func (s *Service) EditType(ctx context.Context, identify string, in TaxonomyEdit) (before, after TypeInfo, err error) {
	var name string
	if in.Name != nil {
		if name, err = checkName("name", *in.Name, MaxTypeNameRunes); err != nil {
			return before, after, err
		}
	}
	if err := checkIndex(in.Index); err != nil {
		return before, after, err
	}
	s.tax.Lock()
	defer s.tax.Unlock()
	x, err := s.snapshot(ctx)
	if err != nil {
		return before, after, err
	}
	if in.Name != nil && x.typeNameTaken(identify, name) {
		return before, after, ErrTypeExists
	}
	b, a, err := s.st.Taxonomy.ChangeType(ctx, identify, func(t *models.ArticleType) error {
		if t.MovedTo != "" {
			return ErrTypeNotFound
		}
		old := *t
		if in.Name != nil {
			t.Name = name
		}
		if in.Index != nil {
			t.Index = *in.Index
		}
		if *t == old {
			return errUnchanged
		}
		return nil
	})
	if errors.Is(err, errUnchanged) {
		u := s.counted(ctx)
		return typeInfo(b, u), typeInfo(b, u), nil
	}
	if errors.Is(err, models.ErrNotFound) {
		return before, after, ErrTypeNotFound
	}
	if err != nil {
		return before, after, conflict(err)
	}
	u := s.counted(ctx)
	return typeInfo(b, u), typeInfo(a, u), nil
}

// DeleteType deletes type identify. Articles that name it (deleted ones
// included) are moved to replacement; without one, a type in use is
// refused with ErrTypeInUse. It returns the type deleted and the number of
// articles moved. A deletion with a replacement leaves a forwarding entry,
// so a retry completes a half-done one (changed false when there was
// nothing left to do). Errors: ErrTypeNotFound, ErrTypeInUse, a FieldError
// naming `replacement`, ErrTaxonomyConflict.
func (s *Service) DeleteType(ctx context.Context, identify, replacement string) (gone TypeInfo, moved int, changed bool, err error) {
	s.tax.Lock()
	defer s.tax.Unlock()
	t, err := s.st.Taxonomy.Type(ctx, identify)
	if errors.Is(err, models.ErrNotFound) {
		return gone, 0, false, ErrTypeNotFound
	}
	if err != nil {
		return gone, 0, false, err
	}
	gone = typeInfo(t, usage{})
	if t.MovedTo != "" {
		if replacement == "" || replacement != t.MovedTo {
			return gone, 0, false, ErrTypeNotFound
		}
		// A retry: finish the move.
		n, err := s.sweep(ctx, func(a *models.Article) bool { return retype(a, identify, replacement) })
		return gone, n, n > 0, conflict(err)
	}
	if replacement == "" {
		u, err := s.usage(ctx)
		if err != nil {
			return gone, 0, false, err
		}
		if u.types[identify] > 0 {
			return gone, 0, false, ErrTypeInUse
		}
		if err := s.st.Taxonomy.RemoveType(ctx, identify); err != nil && !errors.Is(err, models.ErrNotFound) {
			return gone, 0, false, err
		}
		// An article written with it meanwhile puts it back.
		if s.counted(ctx).types[identify] > 0 {
			if err := s.st.Taxonomy.PutType(ctx, t); err != nil && !errors.Is(err, models.ErrDuplicate) {
				return gone, 0, false, err
			}
			return gone, 0, false, ErrTypeInUse
		}
		return gone, 0, true, nil
	}
	if replacement == identify {
		return gone, 0, false, services.Invalid("replacement", "must be another type")
	}
	if _, err := s.liveType(ctx, replacement); err != nil {
		if errors.Is(err, ErrTypeNotFound) {
			return gone, 0, false, services.Invalid("replacement", "must be one of the article types")
		}
		return gone, 0, false, err
	}
	if _, _, err := s.st.Taxonomy.ChangeType(ctx, identify, func(t *models.ArticleType) error {
		t.MovedTo = replacement
		return nil
	}); err != nil {
		return gone, 0, false, conflict(err)
	}
	n, err := s.sweep(ctx, func(a *models.Article) bool { return retype(a, identify, replacement) })
	return gone, n, true, conflict(err)
}

func retype(a *models.Article, from, to string) bool {
	if a.Type != from {
		return false
	}
	a.Type = to
	return true
}

// ---- categories

func categoryInfo(c models.Category, u usage) CategoryInfo {
	return CategoryInfo{Name: c.Name, Index: c.Index, Created: c.Created, Articles: u.cats[c.Name], Count: u.public[c.Name]}
}

// AdminCategories returns every category in order with its article
// counts (one scan of `articles`: an admin list).
func (s *Service) AdminCategories(ctx context.Context) ([]CategoryInfo, error) {
	cats, err := s.st.Taxonomy.Categories(ctx)
	if err != nil {
		return nil, err
	}
	u, err := s.usage(ctx)
	if err != nil {
		return nil, err
	}
	out := []CategoryInfo{}
	for _, c := range cats {
		if c.MovedTo == "" {
			out = append(out, categoryInfo(c, u))
		}
	}
	return out, nil
}

// CreateCategory adds the category name at index (nil: last). A
// forwarding entry of that name (a category renamed or deleted before) is
// replaced. Errors: a FieldError (name, index), ErrCategoryExists.
func (s *Service) CreateCategory(ctx context.Context, name string, index *int) (CategoryInfo, error) {
	name, err := checkName("name", name, MaxCategoryNameRunes)
	if err != nil {
		return CategoryInfo{}, err
	}
	if err := checkIndex(index); err != nil {
		return CategoryInfo{}, err
	}
	s.tax.Lock()
	defer s.tax.Unlock()
	x, err := s.snapshot(ctx)
	if err != nil {
		return CategoryInfo{}, err
	}
	c := models.Category{Name: name, Created: s.nowMs(), Index: x.nextCategoryIndex()}
	if index != nil {
		c.Index = *index
	}
	if err := s.st.Taxonomy.PutCategory(ctx, c); err != nil {
		if errors.Is(err, models.ErrDuplicate) {
			return CategoryInfo{}, ErrCategoryExists
		}
		return CategoryInfo{}, conflict(err)
	}
	return categoryInfo(c, usage{}), nil
}

// EditCategory renames or reorders category name. A rename makes the old
// name forward to the new one (which keeps its index and creation time),
// then moves every article that names it (deleted ones too), each by
// `_id` under its lock; a retry of the same rename completes a half-done
// one. It returns the category before and after, the number of articles
// moved, and whether anything changed. Errors: ErrCategoryNotFound, a
// FieldError, ErrCategoryExists (the new name is taken),
// ErrTaxonomyConflict.
func (s *Service) EditCategory(ctx context.Context, name string, in TaxonomyEdit) (before, after CategoryInfo, moved int, changed bool, err error) {
	newName := name
	if in.Name != nil {
		if newName, err = checkName("name", *in.Name, MaxCategoryNameRunes); err != nil {
			return
		}
	}
	if err = checkIndex(in.Index); err != nil {
		return
	}
	s.tax.Lock()
	defer s.tax.Unlock()
	c, err := s.st.Taxonomy.Category(ctx, name)
	if errors.Is(err, models.ErrNotFound) {
		return before, after, 0, false, ErrCategoryNotFound
	}
	if err != nil {
		return
	}
	before = categoryInfo(c, usage{})
	if c.MovedTo != "" {
		if newName != c.MovedTo {
			return before, after, 0, false, ErrCategoryNotFound
		}
		// A retry of this rename: put the new name (if the first attempt
		// stopped before) and move what is left.
		return s.finishRename(ctx, c, newName, in.Index, false)
	}
	if newName == name {
		if in.Index == nil || *in.Index == c.Index {
			before = categoryInfo(c, s.counted(ctx))
			return before, before, 0, false, nil
		}
		b, a, err := s.st.Taxonomy.ChangeCategory(ctx, name, func(c *models.Category) error {
			if c.MovedTo != "" {
				return ErrCategoryNotFound
			}
			c.Index = *in.Index
			return nil
		})
		if errors.Is(err, models.ErrNotFound) {
			err = ErrCategoryNotFound
		}
		if err != nil {
			return before, after, 0, false, conflict(err)
		}
		u := s.counted(ctx)
		return categoryInfo(b, u), categoryInfo(a, u), 0, true, nil
	}
	if other, err := s.st.Taxonomy.Category(ctx, newName); err == nil && other.MovedTo == "" {
		return before, after, 0, false, ErrCategoryExists
	} else if err != nil && !errors.Is(err, models.ErrNotFound) {
		return before, after, 0, false, err
	}
	if _, _, err := s.st.Taxonomy.ChangeCategory(ctx, name, func(c *models.Category) error {
		c.MovedTo = newName
		return nil
	}); err != nil {
		return before, after, 0, false, conflict(err)
	}
	return s.finishRename(ctx, c, newName, in.Index, true)
}

// finishRename puts category to (with old's index unless index says
// another, and old's creation time) and moves old's articles to it;
// marked: old was made to forward by this call (a change in itself).
func (s *Service) finishRename(ctx context.Context, old models.Category, to string, index *int, marked bool) (before, after CategoryInfo, moved int, changed bool, err error) {
	before = categoryInfo(old, usage{})
	changed = marked
	nc := models.Category{Name: to, Created: old.Created, Index: old.Index}
	if index != nil {
		nc.Index = *index
	}
	switch err := s.st.Taxonomy.PutCategory(ctx, nc); {
	case err == nil:
		changed = true
	case errors.Is(err, models.ErrDuplicate): // put by the first attempt (or another instance)
		if cur, err := s.st.Taxonomy.Category(ctx, to); err == nil {
			nc = cur
		}
	default:
		return before, after, 0, false, conflict(err)
	}
	n, err := s.sweep(ctx, func(a *models.Article) bool {
		if a.Category != old.Name {
			return false
		}
		a.Category = to
		return true
	})
	after = categoryInfo(nc, s.counted(ctx))
	return before, after, n, changed || n > 0, conflict(err)
}

// DeleteCategory deletes category name: as DeleteType (ErrCategoryInUse,
// ErrCategoryNotFound, a FieldError naming `replacement`).
func (s *Service) DeleteCategory(ctx context.Context, name, replacement string) (gone CategoryInfo, moved int, changed bool, err error) {
	s.tax.Lock()
	defer s.tax.Unlock()
	c, err := s.st.Taxonomy.Category(ctx, name)
	if errors.Is(err, models.ErrNotFound) {
		return gone, 0, false, ErrCategoryNotFound
	}
	if err != nil {
		return gone, 0, false, err
	}
	gone = categoryInfo(c, usage{})
	move := func(a *models.Article) bool {
		if a.Category != name {
			return false
		}
		a.Category = replacement
		return true
	}
	if c.MovedTo != "" {
		if replacement == "" || replacement != c.MovedTo {
			return gone, 0, false, ErrCategoryNotFound
		}
		n, err := s.sweep(ctx, move)
		return gone, n, n > 0, conflict(err)
	}
	if replacement == "" {
		u, err := s.usage(ctx)
		if err != nil {
			return gone, 0, false, err
		}
		if u.cats[name] > 0 {
			return gone, 0, false, ErrCategoryInUse
		}
		if err := s.st.Taxonomy.RemoveCategory(ctx, name); err != nil && !errors.Is(err, models.ErrNotFound) {
			return gone, 0, false, err
		}
		if s.counted(ctx).cats[name] > 0 {
			if err := s.st.Taxonomy.PutCategory(ctx, c); err != nil && !errors.Is(err, models.ErrDuplicate) {
				return gone, 0, false, err
			}
			return gone, 0, false, ErrCategoryInUse
		}
		return gone, 0, true, nil
	}
	if replacement == name {
		return gone, 0, false, services.Invalid("replacement", "must be another category")
	}
	if r, err := s.st.Taxonomy.Category(ctx, replacement); errors.Is(err, models.ErrNotFound) || err == nil && r.MovedTo != "" {
		return gone, 0, false, services.Invalid("replacement", "must be one of the categories")
	} else if err != nil {
		return gone, 0, false, err
	}
	if _, _, err := s.st.Taxonomy.ChangeCategory(ctx, name, func(c *models.Category) error {
		c.MovedTo = replacement
		return nil
	}); err != nil {
		return gone, 0, false, conflict(err)
	}
	n, err := s.sweep(ctx, move)
	return gone, n, true, conflict(err)
}

// ---- tags

// AdminTags returns every tag, oldest first, with its article count (one
// scan of `articles`: an admin list).
func (s *Service) AdminTags(ctx context.Context) ([]TagInfo, error) {
	tags, err := s.st.Taxonomy.Tags(ctx)
	if err != nil {
		return nil, err
	}
	u, err := s.usage(ctx)
	if err != nil {
		return nil, err
	}
	out := []TagInfo{}
	for _, t := range tags {
		if t.MovedTo == "" {
			out = append(out, TagInfo{Name: t.Name, Created: t.Created, Articles: u.tags[t.Name]})
		}
	}
	return out, nil
}

// CreateTag adds the tag name (the publish rule: at most MaxTagRunes
// characters), replacing a forwarding entry of that name. Errors: a
// FieldError naming `name`, ErrTagExists.
func (s *Service) CreateTag(ctx context.Context, name string) (TagInfo, error) {
	name, err := checkName("name", name, MaxTagRunes)
	if err != nil {
		return TagInfo{}, err
	}
	s.tax.Lock()
	defer s.tax.Unlock()
	t := models.Tag{Name: name, Created: s.nowMs()}
	if err := s.st.Taxonomy.PutTag(ctx, t); err != nil {
		if errors.Is(err, models.ErrDuplicate) {
			return TagInfo{}, ErrTagExists
		}
		return TagInfo{}, conflict(err)
	}
	return TagInfo{Name: t.Name, Created: t.Created}, nil
}

// RenameTag renames tag name to newName in every article that has it, as
// EditCategory renames a category (forwarding entry first, then the
// articles; a retry completes a half-done rename). Errors:
// ErrTagNotFound, a FieldError naming `name`, ErrTagExists,
// ErrTaxonomyConflict.
func (s *Service) RenameTag(ctx context.Context, name, newName string) (before, after TagInfo, moved int, changed bool, err error) {
	if newName, err = checkName("name", newName, MaxTagRunes); err != nil {
		return
	}
	s.tax.Lock()
	defer s.tax.Unlock()
	t, err := s.st.Taxonomy.Tag(ctx, name)
	if errors.Is(err, models.ErrNotFound) {
		return before, after, 0, false, ErrTagNotFound
	}
	if err != nil {
		return
	}
	before = TagInfo{Name: t.Name, Created: t.Created}
	if t.MovedTo == "" {
		if newName == name {
			return before, before, 0, false, nil
		}
		if other, err := s.st.Taxonomy.Tag(ctx, newName); err == nil && other.MovedTo == "" {
			return before, after, 0, false, ErrTagExists
		} else if err != nil && !errors.Is(err, models.ErrNotFound) {
			return before, after, 0, false, err
		}
		if _, _, err := s.st.Taxonomy.ChangeTag(ctx, name, func(t *models.Tag) error {
			t.MovedTo = newName
			return nil
		}); err != nil {
			return before, after, 0, false, conflict(err)
		}
		changed = true
	} else if t.MovedTo != newName {
		return before, after, 0, false, ErrTagNotFound
	}
	nt := models.Tag{Name: newName, Created: t.Created}
	switch err := s.st.Taxonomy.PutTag(ctx, nt); {
	case err == nil:
		changed = true
	case errors.Is(err, models.ErrDuplicate):
		if cur, err := s.st.Taxonomy.Tag(ctx, newName); err == nil {
			nt = cur
		}
	default:
		return before, after, 0, false, conflict(err)
	}
	n, err := s.sweep(ctx, func(a *models.Article) bool {
		i := slices.Index(a.Tags, name)
		if i < 0 {
			return false
		}
		if slices.Contains(a.Tags, newName) {
			a.Tags = slices.Delete(slices.Clone(a.Tags), i, i+1)
		} else {
			a.Tags = slices.Clone(a.Tags)
			a.Tags[i] = newName
		}
		return true
	})
	after = TagInfo{Name: nt.Name, Created: nt.Created, Articles: s.counted(ctx).tags[nt.Name]}
	return before, after, n, changed || n > 0, conflict(err)
}

// DeleteTag deletes tag name and removes it from every article that has
// it (deleted ones too). A retry completes a half-done deletion: with the
// tag gone, articles that still have it are changed (ErrTagNotFound only
// when none has). An article saved with the tag at the same moment may
// keep it, and the tag then exists again (settle). It returns the tag
// deleted, the number of articles changed and whether anything changed.
// Errors: ErrTagNotFound, ErrTaxonomyConflict.
func (s *Service) DeleteTag(ctx context.Context, name string) (gone TagInfo, moved int, changed bool, err error) {
	s.tax.Lock()
	defer s.tax.Unlock()
	gone.Name = name
	t, err := s.st.Taxonomy.Tag(ctx, name)
	switch {
	case err == nil && t.MovedTo == "":
		gone.Created = t.Created
		if err := s.st.Taxonomy.RemoveTag(ctx, name); err != nil && !errors.Is(err, models.ErrNotFound) {
			return gone, 0, false, err
		}
		changed = true
	case err == nil, errors.Is(err, models.ErrNotFound):
		if err == nil {
			return gone, 0, false, ErrTagNotFound // renamed: its articles moved on
		}
	default:
		return gone, 0, false, err
	}
	n, err := s.sweep(ctx, func(a *models.Article) bool {
		i := slices.Index(a.Tags, name)
		if i < 0 {
			return false
		}
		a.Tags = slices.Delete(slices.Clone(a.Tags), i, i+1)
		return true
	})
	if err == nil && !changed && n == 0 {
		return gone, 0, false, ErrTagNotFound
	}
	return gone, n, changed || n > 0, conflict(err)
}
