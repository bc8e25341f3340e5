package apitest

import (
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Scrape is one parsed answer of a /metrics endpoint.
type Scrape struct {
	Text    string
	Samples model.Vector
}

// ScrapeMetrics fetches GET /metrics from c's server, unsigned, and parses
// it as the Prometheus text format.
func ScrapeMetrics(t testing.TB, c *Client) Scrape {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, c.Base+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	r := c.Send(req)
	if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/plain; version=0.0.4") {
		t.Fatalf("GET /metrics: %d %q %.200s", r.Status, r.Header.Get("Content-Type"), r.Body)
	}
	return ParseScrape(t, string(r.Body))
}

// ParseScrape parses text as the Prometheus text format.
func ParseScrape(t testing.TB, text string) Scrape {
	t.Helper()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(text))
	if err != nil {
		t.Fatalf("/metrics is not the Prometheus text format: %v", err)
	}
	var s Scrape
	s.Text = text
	for _, f := range families {
		v, err := expfmt.ExtractSamples(&expfmt.DecodeOptions{Timestamp: model.Now()}, f)
		if err != nil {
			t.Fatal(err)
		}
		s.Samples = append(s.Samples, v...)
	}
	return s
}

// Value is the sum of the samples named name whose labels include the
// given name/value pairs; the test fails when there is none.
func (s Scrape) Value(t testing.TB, name string, labels ...string) float64 {
	t.Helper()
	var sum float64
	found := false
	for _, smp := range s.Samples {
		if string(smp.Metric[model.MetricNameLabel]) != name {
			continue
		}
		match := true
		for i := 0; i+1 < len(labels); i += 2 {
			if string(smp.Metric[model.LabelName(labels[i])]) != labels[i+1] {
				match = false
			}
		}
		if match {
			sum += float64(smp.Value)
			found = true
		}
	}
	if !found {
		t.Fatalf("no sample %s%v in the scrape", name, labels)
	}
	return sum
}
