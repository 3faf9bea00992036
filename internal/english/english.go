// Package english holds the one rule of English grammar connectsync's
// messages need: the singular or the plural form, by count. Messages are
// composed where their facts are (apply, preflight, the CLI), below the view
// that prints them, so the rule lives here, where all of them can reach it.
package english

// Plural returns one when n is 1, and many otherwise (0 included):
// Plural(n, "connector", "connectors"), Plural(n, "column is", "columns are").
func Plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
