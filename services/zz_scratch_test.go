package services

import (
	"fmt"
	"os"
	"testing"
)

func TestZZScratch(t *testing.T) {
	r := newTestCaptchaRenderer(t)
	f, _ := os.Create("/tmp/cap.html")
	defer f.Close()
	fmt.Fprint(f, "<html><body style='margin:0'>")
	for range 24 {
		svg, err := r.RenderSVG("34679abdefhjmnrtADEFGHJLMNQRTU"[0:0]+randText(), 150, 50)
		if err != nil {
			t.Fatal(err)
		}
		f.Write(svg)
	}
	fmt.Fprint(f, "</body></html>")
}

var zzi int

func randText() string {
	src := "34679abdefhjmnrtADEFGHJLMNQRTU"
	zzi++
	s := ""
	for k := range 4 {
		s += string(src[(zzi*7+k*11)%len(src)])
	}
	return s
}
