package manifest

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Kafka Connect's own rules for a sink's common keys, which the framework
// checks (ConnectorConfig and SinkConnectorConfig) before any plugin sees
// the config, whatever the connector class. CheckConnect mirrors the ones a
// worker reports from PUT /connector-plugins/{class}/config/validate, so
// that validate finds them offline; preflight's test confirms each against
// the real worker.

// connectBooleans are the framework's BOOLEAN keys of a sink. Connect reads
// true or false in any case.
var connectBooleans = []string{
	"errors.log.enable", "errors.log.include.messages", "errors.deadletterqueue.context.headers.enable",
}

// connectLongs are the framework's LONG keys of a sink (negative values,
// such as -1 for "retry forever", are allowed).
var connectLongs = []string{"errors.retry.timeout", "errors.retry.delay.max.ms"}

type connectChecker struct {
	cfg   *Config
	diags Diagnostics
}

func (c *connectChecker) errorf(key, hint, format string, args ...any) {
	loc, _ := c.cfg.From(key)
	c.diags = append(c.diags, Diagnostic{Severity: Error, Pos: loc.Pos, Path: loc.Path,
		Message: fmt.Sprintf(format, args...), Hint: hint})
}

// get returns a key's value when it is set to something connectsync can
// check: not empty, not a secret, not a config-provider placeholder that
// only the worker resolves.
func (c *connectChecker) get(key string) (string, bool) {
	v, ok := c.cfg.Values[key]
	if !ok || strings.TrimSpace(v) == "" || c.cfg.Sensitive[key] || v == SecretPlaceholder || strings.Contains(v, "${") {
		return "", false
	}
	return strings.TrimSpace(v), true
}

// CheckConnect checks a rendered sink config against Kafka Connect's own
// rules for every sink, and reports each problem at the manifest field the
// key came from.
func CheckConnect(cfg *Config) Diagnostics {
	c := &connectChecker{cfg: cfg}
	c.topics()
	c.errorHandling()
	c.aliases("transforms")
	c.aliases("predicates")
	if v, ok := c.get("tasks.max"); ok && !strings.HasSuffix(cfg.rel("tasks.max"), "tasksMax") {
		// A typed tasksMax is checked, with its own message, by Validate.
		if n, err := strconv.ParseInt(v, 10, 32); err != nil || n < 1 {
			c.errorf("tasks.max", "use a whole number of 1 or more", "tasks.max must be an integer >= 1, got %q", v)
		}
	}
	for _, k := range []string{"key.converter", "value.converter", "header.converter"} {
		if v, ok := c.get(k); ok && !isJavaClassName(v) {
			c.errorf(k, "write the converter's fully qualified class name, for example org.apache.kafka.connect.storage.StringConverter",
				"%s %q is not a Java class name", k, v)
		}
	}
	return c.diags
}

func (c *connectChecker) topics() {
	topics, hasTopics := c.get("topics")
	regex, hasRegex := c.get("topics.regex")
	if hasTopics && hasRegex {
		at, _ := c.cfg.From("topics")
		c.errorf("topics.regex", "keep one of them: a sink reads either a list of topics or the topics a regex matches",
			"topics and topics.regex are mutually exclusive, but both are set (topics at %s)", at.Pos)
	}
	dlq, ok := c.get("errors.deadletterqueue.topic.name")
	if !ok {
		return
	}
	hint := "give the dead letter queue a topic of its own, which the sink does not read"
	if hasTopics {
		for _, t := range strings.Split(topics, ",") {
			if strings.TrimSpace(t) == dlq {
				c.errorf("errors.deadletterqueue.topic.name", hint,
					"the dead letter queue topic %q is one of the sink's topics: failed records would be read again", dlq)
				return
			}
		}
	}
	if hasRegex {
		// Connect matches the whole name with a Java regex. Go's syntax is
		// close enough for the common cases; a regex Go cannot compile is
		// left to the worker.
		if re, err := regexp.Compile(`^(?:` + regex + `)$`); err == nil && re.MatchString(dlq) {
			c.errorf("errors.deadletterqueue.topic.name", hint,
				"the dead letter queue topic %q matches the sink's topics.regex %q: failed records would be read again", dlq, regex)
		}
	}
}

func (c *connectChecker) errorHandling() {
	if v, ok := c.get("errors.tolerance"); ok && v != "none" && v != "all" {
		hint := "use none or all"
		if lv := strings.ToLower(v); lv == "none" || lv == "all" {
			hint = fmt.Sprintf("write %s, in lower case: Connect compares it exactly", lv)
		}
		c.errorf("errors.tolerance", hint, "errors.tolerance must be none or all, got %q", v)
	}
	for _, k := range connectLongs {
		if v, ok := c.get(k); ok {
			if _, err := strconv.ParseInt(v, 10, 64); err != nil {
				c.errorf(k, "write a whole number of milliseconds", "%s must be an integer, got %q", k, v)
			}
		}
	}
	for _, k := range connectBooleans {
		if v, ok := c.get(k); ok && !strings.EqualFold(v, "true") && !strings.EqualFold(v, "false") {
			c.errorf(k, "write true or false", "%s must be true or false, got %q", k, v)
		}
	}
	if v, ok := c.get("errors.deadletterqueue.topic.replication.factor"); ok {
		if _, err := strconv.ParseInt(v, 10, 16); err != nil {
			c.errorf("errors.deadletterqueue.topic.replication.factor", "write a whole number, or -1 for the broker default",
				"errors.deadletterqueue.topic.replication.factor must be a small integer, got %q", v)
		}
	}
}

// aliases checks transforms or predicates: each alias listed once, and each
// with its <kind>.<alias>.type.
func (c *connectChecker) aliases(kind string) {
	list, ok := c.get(kind)
	if !ok {
		return
	}
	seen := map[string]bool{}
	for _, a := range strings.Split(list, ",") {
		a = strings.TrimSpace(a)
		if a == "" {
			continue
		}
		if seen[a] {
			c.errorf(kind, "list each alias once", "%s lists the alias %q twice", kind, a)
			continue
		}
		seen[a] = true
		if _, ok := c.cfg.Values[kind+"."+a+".type"]; !ok || strings.TrimSpace(c.cfg.Values[kind+"."+a+".type"]) == "" {
			c.errorf(kind, fmt.Sprintf("set %s.%s.type to its class under config:", kind, a),
				"%s alias %q has no %s.%s.type", kind, a, kind, a)
		}
	}
}
