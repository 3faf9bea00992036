package manifest

import (
	"strings"
	"testing"
)

// parseTopicKeyBySplit is ParseTopicKey as it was written first, splitting
// the key at every dot: ParseTopicKey must give what it gives.
func parseTopicKeyBySplit(key string) (TableRef, string, bool) {
	rest, ok := strings.CutPrefix(key, "topic.")
	if !ok {
		return TableRef{}, "", false
	}
	parts := strings.Split(rest, ".")
	n := len(parts)
	if n >= 3 && parts[n-2] == "codec" && codecSettings[parts[n-1]] {
		topic := strings.Join(parts[:n-2], ".")
		return TableRef{Topic: topic}, parts[n-1], isTopicName(topic)
	}
	if n < 4 || !tableSettings[parts[n-1]] {
		return TableRef{}, "", false
	}
	t := TableRef{Topic: strings.Join(parts[:n-3], "."), Keyspace: parts[n-3], Table: parts[n-2]}
	ok = isTopicName(t.Topic) && t.Keyspace != "" && t.Table != ""
	return t, parts[n-1], ok
}

var topicKeyCases = []string{
	"", "topic", "topic.", "topic..", "topic...", "topic....", "topic.....mapping", "topics.a.b.c.mapping",
	"topic.orders.shop.orders.mapping", "topic.orders.shop.orders.ttl", "topic.orders.shop.orders.nope",
	"topic.a.b.c.d.e.mapping", "topic.orders.codec.locale", "topic.orders.codec.unit", "topic.orders.codec.nope",
	"topic.codec.locale", "topic..codec.locale", "topic.a.b.codec.locale", "topic.a.codec.codec.locale",
	"topic.a.b.codec.mapping", "topic.a.codec.mapping", "topic.shop.orders.mapping", "topic..b.c.mapping",
	"topic.a..c.mapping", "topic.a.b..mapping", "topic.a b.k.t.query", "topic.a.k.t.query.",
	"topic.orders-1.shop.orders_1.consistencyLevel", "topic.é.k.t.mapping", "mapping", "topic.codec",
}

func TestParseTopicKeyMatchesSplit(t *testing.T) {
	for _, k := range topicKeyCases {
		checkTopicKey(t, k)
	}
}

// FuzzTopicKey compares ParseTopicKey with the splitting parser.
func FuzzTopicKey(f *testing.F) {
	for _, k := range topicKeyCases {
		f.Add(k)
	}
	f.Fuzz(checkTopicKey)
}

func checkTopicKey(t *testing.T, key string) {
	gt, gs, gok := ParseTopicKey(key)
	wt, ws, wok := parseTopicKeyBySplit(key)
	if gt != wt || gs != ws || gok != wok {
		t.Errorf("ParseTopicKey(%q) = %+v, %q, %v; splitting gives %+v, %q, %v", key, gt, gs, gok, wt, ws, wok)
	}
}
