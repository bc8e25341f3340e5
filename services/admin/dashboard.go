package admin

import (
	"context"
	"time"

	"github.com/blogapi/blogapi/models"
	"github.com/blogapi/blogapi/services/content"
)

// DailyCounts reads per-day counters (models.DailyCountStore).
type DailyCounts interface {
	Days(ctx context.Context, kind string, to time.Time, days int) ([]int64, error)
}

// ContentStats counts the blog's articles and comments (content.Service).
type ContentStats interface {
	Stats(ctx context.Context) (content.Stats, error)
}

// UserStats are the user figures of the dashboard (models.UserStats).
type UserStats struct {
	Total, Deleted   int64
	ByStatus, ByType map[string]int64
	Registrations    []int64
}

// DashboardDays is how many days the dashboard's daily figures cover.
const DashboardDays = 30

// Dashboard holds the figures of the admin's dashboard.
type Dashboard struct {
	// Users: Total and Deleted; ByStatus and ByType count the users that
	// are not deleted; Registrations per day (of Days).
	Users UserStats
	// Days are the UTC days of Registrations and Logins, oldest first
	// (DashboardDays of them, today last).
	Days   []string
	Logins []int64
	// Content: articles by status, comments by state (zero without the
	// blog).
	Content content.Stats
}

// Dashboard counts the users by status and type, the registrations and
// logins of each of the last 30 days (UTC), the articles by status and the
// comments by state. The user figures scan the
// users on the embedded database (docs/admin.md, "Costs"). Errors:
// ErrUnavailable.
func (s *Service) Dashboard(ctx context.Context) (Dashboard, error) {
	now := s.d.Now()
	users, err := s.d.Users.Stats(ctx, now, DashboardDays)
	if err != nil {
		return Dashboard{}, unavailable(err)
	}
	logins, err := s.d.DailyCounts.Days(ctx, models.CountLogins, now, DashboardDays)
	if err != nil {
		return Dashboard{}, unavailable(err)
	}
	days := make([]string, DashboardDays)
	for i := range days {
		days[i] = models.Day(now.AddDate(0, 0, i-DashboardDays+1))
	}
	d := Dashboard{Users: UserStats(users), Days: days, Logins: logins}
	if s.d.Content != nil {
		if d.Content, err = s.d.Content.Stats(ctx); err != nil {
			return Dashboard{}, unavailable(err)
		}
	}
	return d, nil
}
