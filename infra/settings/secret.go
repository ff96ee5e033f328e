package settings

// Secret is a decrypted secret config value. It prints as "[secret]" with every fmt verb, so
// a Settings value can be logged or shown in a test failure without leaking it; Reveal
// returns the plaintext for the one place that needs it.
type Secret string

// Reveal returns the plaintext.
func (s Secret) Reveal() string { return string(s) }

// IsSet reports whether a value was configured.
func (s Secret) IsSet() bool { return s != "" }

func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "[secret]"
}

// GoString keeps %#v from printing the plaintext too.
func (s Secret) GoString() string { return `settings.Secret("` + s.String() + `")` }
