// Package metrics is the server's Prometheus instrumentation:
// one registry of its own (never the global default) holding the Go
// runtime and process collectors and the API's metrics, and the handlers
// that serve it. It implements the small observer interfaces the layers
// declare (middleware.RequestObserver, account.Observer,
// captcha.Observer, models.CommandObserver), so no layer imports
// Prometheus. Like internal/app, only the composition root imports it.
//
// No label carries user data: routes are Gin's route templates (never the
// URL), methods are the standard ones or "other", codes are envelope
// codes, and the other labels come from fixed sets.
package metrics

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/blogapi/blogapi/controllers/response"
	"github.com/blogapi/blogapi/middleware"
	"github.com/blogapi/blogapi/services/account"
	"github.com/blogapi/blogapi/services/captcha"
)

// Metrics is one server instance's registry and collectors. Build it with
// New; its methods are safe for concurrent use.
type Metrics struct {
	registry *prometheus.Registry
	handler  http.Handler

	requests        *prometheus.CounterVec
	requestDuration *prometheus.HistogramVec
	requestCommands *prometheus.HistogramVec
	signRejections  *prometheus.CounterVec
	logins          *prometheus.CounterVec
	captchasIssued  prometheus.Counter
	captchaChecks   *prometheus.CounterVec
	commandDuration *prometheus.HistogramVec
}

// New returns a registry with the Go runtime collector (go_*), the
// process collector (process_*) and these metrics:
//
//	blogapi_http_requests_total{route,method,code}           counter
//	blogapi_http_request_duration_seconds{route,method}      histogram
//	blogapi_http_request_db_commands{route}                  histogram (database round trips per request)
//	blogapi_signature_rejections_total{code}                 counter (511, 512, 513, 514, 201, 400, 413, 503)
//	blogapi_logins_total{outcome}                            counter (account.LoginOutcomes)
//	blogapi_captchas_issued_total                            counter
//	blogapi_captcha_checks_total{result}                     counter (captcha.Results)
//	blogapi_db_command_duration_seconds{command,outcome}     histogram (outcome ok or error)
//
// logger receives errors met while gathering a scrape.
func New(logger *slog.Logger) *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		registry: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "blogapi_http_requests_total",
			Help: "HTTP requests by route template (\"unmatched\" when none matched), method and envelope code.",
		}, []string{"route", "method", "code"}),
		requestDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "blogapi_http_request_duration_seconds",
			Help:    "Time from the first middleware to the end of the handler chain, by route template and method.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "method"}),
		requestCommands: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "blogapi_http_request_db_commands",
			Help:    "Database commands (round trips) started by one request, by route template.",
			Buckets: []float64{0, 1, 2, 3, 4, 5, 6, 8, 10, 15, 20},
		}, []string{"route"}),
		signRejections: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "blogapi_signature_rejections_total",
			Help: "Requests refused by the signature check (docs/signing.md), by envelope code.",
		}, []string{"code"}),
		logins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "blogapi_logins_total",
			Help: "Login attempts (POST /blogapi/login) by outcome.",
		}, []string{"outcome"}),
		captchasIssued: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "blogapi_captchas_issued_total",
			Help: "Captchas issued and stored.",
		}),
		captchaChecks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "blogapi_captcha_checks_total",
			Help: "Captcha answers checked, by result (verified, or why it failed).",
		}, []string{"result"}),
		commandDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "blogapi_db_command_duration_seconds",
			Help:    "Database command round trips seen by the driver's command monitor, by command name and outcome.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"command", "outcome"}),
	}
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.requests, m.requestDuration, m.requestCommands, m.signRejections,
		m.logins, m.captchasIssued, m.captchaChecks, m.commandDuration,
	)
	// Every label value of a fixed set starts at zero, so that rates over
	// them exist before the first event.
	for _, code := range []int{response.CodeSignMissing, response.CodeAuthKey, response.CodeSignExpired, response.CodeSignInvalid,
		response.CodeDuplicate, response.CodeBadRequest, response.CodeBodyTooLarge, response.CodeUnavailable} {
		m.signRejections.WithLabelValues(strconv.Itoa(code))
	}
	for _, o := range account.LoginOutcomes() {
		m.logins.WithLabelValues(string(o))
	}
	for _, r := range captcha.Results() {
		m.captchaChecks.WithLabelValues(string(r))
	}
	m.handler = promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorLog:            slog.NewLogLogger(logger.Handler(), slog.LevelError),
		Registry:            reg,
		MaxRequestsInFlight: 4,
	})
	return m
}

// Handler serves the registry in the Prometheus text format (or
// OpenMetrics/protobuf when the scraper asks), at most 4 scrapes at once.
func (m *Metrics) Handler() http.Handler { return m.handler }

// Mux is the handler of the metrics listener (metrics.addr): GET /metrics
// and, when withPProf is true, the net/http/pprof handlers under
// /debug/pprof/ (index, cmdline, profile, symbol, trace and the named
// profiles such as heap and goroutine). Anything else is a 404. The
// handlers are mounted on this mux only, never on http.DefaultServeMux
// (which the pprof package's init also fills, and which nothing serves).
func (m *Metrics) Mux(withPProf bool) *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.handler)
	if withPProf {
		mux.HandleFunc("GET /debug/pprof/", pprof.Index)
		mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("POST /debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	}
	return mux
}

// ObserveRequest counts a finished request (middleware.RequestObserver).
func (m *Metrics) ObserveRequest(r middleware.RequestRecord) {
	code := strconv.Itoa(r.Code)
	m.requests.WithLabelValues(r.Route, r.Method, code).Inc()
	m.requestDuration.WithLabelValues(r.Route, r.Method).Observe(r.Elapsed.Seconds())
	m.requestCommands.WithLabelValues(r.Route).Observe(float64(r.DBCommands))
	if r.SignRejected {
		m.signRejections.WithLabelValues(code).Inc()
	}
}

// LoginAttempted counts a login outcome (account.Observer).
func (m *Metrics) LoginAttempted(o account.LoginOutcome) { m.logins.WithLabelValues(string(o)).Inc() }

// CaptchaIssued counts an issued captcha (captcha.Observer).
func (m *Metrics) CaptchaIssued() { m.captchasIssued.Inc() }

// CaptchaChecked counts a captcha check by result (captcha.Observer).
func (m *Metrics) CaptchaChecked(r captcha.Result) {
	m.captchaChecks.WithLabelValues(string(r)).Inc()
}

// ObserveCommand records a finished database command's round trip
// (models.CommandObserver; pass it as models.Options.Observe).
func (m *Metrics) ObserveCommand(_ context.Context, command string, ok bool, elapsed time.Duration) {
	outcome := "ok"
	if !ok {
		outcome = "error"
	}
	m.commandDuration.WithLabelValues(command, outcome).Observe(elapsed.Seconds())
}
