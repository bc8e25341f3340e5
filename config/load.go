package config

import (
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-viper/mapstructure/v2"
	"github.com/spf13/viper"
)

// Load reads the YAML file at path ("" means no file), applies Default() for every key not in
// it, then the environment overrides BLOGAPI_<KEY> read through getenv (key upper-cased, dots as
// underscores: BLOGAPI_JWT_SECRET, BLOGAPI_SERVER_CORS_ALLOWED_ORIGINS). An empty variable is
// no override. Lists from the environment are comma-separated; sign.apps is a JSON array;
// durations are Go duration strings ("5m", "360h"); rates are "<count>-<S|M|H|D>".
//
// Errors: a missing or unreadable file, malformed YAML, an unknown key (named), an environment
// value of the wrong type (the variable named), a value of the wrong type or a malformed rate
// (the key named), or any Validate problem.
func Load(path string, getenv func(string) string) (Config, error) {
	leaves := leafFields(Default())
	v := viper.New()
	for _, f := range leaves {
		v.SetDefault(f.key, f.def)
	}
	if path != "" {
		settings, err := readFile(path)
		if err != nil {
			return Config{}, err
		}
		if err := v.MergeConfigMap(settings); err != nil {
			return Config{}, fmt.Errorf("config: %s: %w", path, err)
		}
		if err := checkKeys(v.AllKeys(), leaves); err != nil {
			return Config{}, fmt.Errorf("config: %s: %w", path, err)
		}
	}
	byKey := make(map[string]leaf, len(leaves))
	for _, f := range leaves {
		byKey[f.key] = f
	}
	var envErrs []error
	for _, key := range v.AllKeys() {
		f, ok := byKey[key]
		if !ok {
			continue
		}
		name := envName(key)
		raw := getenv(name)
		if raw == "" {
			continue
		}
		val, err := parseEnv(raw, f.typ)
		if err != nil {
			envErrs = append(envErrs, fmt.Errorf("%s: %w", name, err))
			continue
		}
		v.Set(key, val)
	}
	if err := errors.Join(envErrs...); err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	if err := parseTextValues(v, leaves); err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}

	var cfg Config
	strict := func(dc *mapstructure.DecoderConfig) {
		dc.WeaklyTypedInput = false
		dc.DecodeHook = mapstructure.ComposeDecodeHookFunc(strictNumbers, dc.DecodeHook)
	}
	if err := v.UnmarshalExact(&cfg, strict); err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	cfg.Server.PublicURL = strings.TrimRight(cfg.Server.PublicURL, "/")
	cfg.Server.FrontendURL = strings.TrimRight(cfg.Server.FrontendURL, "/")
	if err := cfg.Validate(); err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	return cfg, nil
}

// UnknownEnv returns the names of the BLOGAPI_ variables in environ ("NAME=value" pairs, as
// os.Environ gives them) that name no key, sorted: Load ignores them, so a misspelling such as
// BLOGAPI_JWT_SECRETS would otherwise go unnoticed.
func UnknownEnv(environ []string) []string {
	known := make(map[string]bool)
	for _, f := range leafFields(Default()) {
		known[envName(f.key)] = true
	}
	var unknown []string
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, envPrefix+"_") && !known[name] && !slices.Contains(unknown, name) {
			unknown = append(unknown, name)
		}
	}
	slices.Sort(unknown)
	return unknown
}

// envName is the variable overriding key: BLOGAPI_ + the key upper-cased, dots as underscores.
func envName(key string) string {
	return envPrefix + "_" + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

// readFile returns the file's settings as a nested map. A key present with no value (a section
// whose keys are all commented out, or `addr:`) is dropped, so its default applies instead of
// zero values.
func readFile(path string) (map[string]any, error) {
	file := viper.New()
	file.SetConfigFile(path)
	file.SetConfigType("yaml")
	if err := file.ReadInConfig(); err != nil {
		return nil, fmt.Errorf("config: read %s: %w", path, err)
	}
	return file.AllSettings(), nil
}

// checkKeys reports every key in keys that Config does not have. A key naming a section
// ("server") holds a non-mapping value; UnmarshalExact reports that with the section's name.
func checkKeys(keys []string, leaves []leaf) error {
	var errs []error
	slices.Sort(keys)
	for _, key := range keys {
		known := slices.ContainsFunc(leaves, func(f leaf) bool {
			return f.key == key || strings.HasPrefix(f.key, key+".")
		})
		if !known {
			errs = append(errs, fmt.Errorf("unknown key %q", key))
		}
	}
	return errors.Join(errs...)
}

// leaf is one key of Config: its dotted name, Go type and default value.
type leaf struct {
	key string
	typ reflect.Type
	def any
}

// leafFields lists every key of c with its value, descending into nested structs; slices
// (sign.apps included) and text values (rates) are single keys.
func leafFields(c Config) []leaf {
	var out []leaf
	var walk func(prefix string, v reflect.Value)
	walk = func(prefix string, v reflect.Value) {
		for i := range v.NumField() {
			sf := v.Type().Field(i)
			key := prefix + sf.Tag.Get("mapstructure")
			if sf.Type.Kind() == reflect.Struct && !isTextValue(sf.Type) {
				walk(key+".", v.Field(i))
				continue
			}
			out = append(out, leaf{key: key, typ: sf.Type, def: v.Field(i).Interface()})
		}
	}
	walk("", reflect.ValueOf(c))
	return out
}

var (
	durationType        = reflect.TypeFor[time.Duration]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// isTextValue reports a key type written as text and parsed by its UnmarshalText (Rate).
func isTextValue(t reflect.Type) bool {
	return t.Kind() == reflect.Struct && reflect.PointerTo(t).Implements(textUnmarshalerType)
}

// parseText parses raw into a new value of the text type t.
func parseText(raw string, t reflect.Type) (any, error) {
	p := reflect.New(t)
	if err := p.Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(raw)); err != nil {
		return nil, err
	}
	return p.Elem().Interface(), nil
}

// parseTextValues replaces every text value the file set (a string) by its parsed value, so
// that the errors name the key; values still of their own type are defaults or environment
// values, already parsed.
func parseTextValues(v *viper.Viper, leaves []leaf) error {
	var errs []error
	for _, f := range leaves {
		if !isTextValue(f.typ) {
			continue
		}
		switch raw := v.Get(f.key).(type) {
		case string:
			val, err := parseText(raw, f.typ)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", f.key, err))
				continue
			}
			v.Set(f.key, val)
		default:
			if reflect.TypeOf(raw) != f.typ {
				errs = append(errs, fmt.Errorf("%s: must be a string such as \"30-M\"", f.key))
			}
		}
	}
	return errors.Join(errs...)
}

// strictNumbers refuses a number where a duration is expected (YAML `read_timeout: 15` would
// otherwise mean 15 nanoseconds) and a fraction where an integer is expected (4.5 would become 4).
func strictNumbers(from, to reflect.Type, data any) (any, error) {
	if to == durationType {
		if from != durationType && from.Kind() != reflect.String {
			return nil, errors.New(`must be a duration string with a unit, such as "15s", "5m" or "2h"`)
		}
		return data, nil
	}
	if f, ok := data.(float64); ok && (to.Kind() == reflect.Int || to.Kind() == reflect.Int64) && f != math.Trunc(f) {
		return nil, errors.New("must be a whole number")
	}
	return data, nil
}

// parseEnv converts an environment value to t. Error messages never repeat the value: it may
// be a secret set in the wrong variable.
func parseEnv(raw string, t reflect.Type) (any, error) {
	switch {
	case isTextValue(t):
		return parseText(raw, t)
	case t == durationType:
		d, err := time.ParseDuration(raw)
		if err != nil {
			return nil, errors.New(`not a duration (e.g. "90s", "5m", "2h")`)
		}
		return d, nil
	case t.Kind() == reflect.String:
		return raw, nil
	case t.Kind() == reflect.Bool:
		b, err := strconv.ParseBool(raw)
		if err != nil {
			return nil, errors.New("not a boolean (true or false)")
		}
		return b, nil
	case t.Kind() == reflect.Int || t.Kind() == reflect.Int64:
		n, err := strconv.ParseInt(raw, 10, t.Bits())
		if err != nil {
			return nil, errors.New("not an integer")
		}
		return reflect.ValueOf(n).Convert(t).Interface(), nil
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.String:
		var list []string
		for item := range strings.SplitSeq(raw, ",") {
			if item = strings.TrimSpace(item); item != "" {
				list = append(list, item)
			}
		}
		return list, nil
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Struct:
		ptr := reflect.New(t)
		dec := json.NewDecoder(strings.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(ptr.Interface()); err != nil || dec.More() {
			return nil, errors.New(`not a JSON array of {"name","key","secret"} objects`)
		}
		return ptr.Elem().Interface(), nil
	}
	return nil, fmt.Errorf("unsupported type %s", t)
}
