// Drives Sarama (Debian golang-github-shopify-sarama-dev) through one compat step:
// the step name in argv[1], JSON arguments on stdin, one JSON line on stdout.
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io/ioutil"
	"os"
	"sort"
	"time"

	"github.com/Shopify/sarama"
)

type message struct {
	Partition int32       `json:"partition"`
	Offset    int64       `json:"offset"`
	Key       *string     `json:"key"`
	Value     *string     `json:"value"`
	Headers   [][2]string `json:"headers"`
	Timestamp *int64      `json:"timestamp"`
}

type args struct {
	Bootstrap  string    `json:"bootstrap"`
	Topic      string    `json:"topic"`
	Partitions int32     `json:"partitions"`
	Expected   int       `json:"expected"`
	Codec      string    `json:"codec"`
	Group      string    `json:"group"`
	Messages   []message `json:"messages"`
	Values     []string  `json:"values"`
	Mechanism  string    `json:"mechanism"`
	Username   string    `json:"username"`
	Password   string    `json:"password"`
	CAFile     string    `json:"caFile"`
}

type result struct {
	OK       bool                `json:"ok"`
	Error    string              `json:"error,omitempty"`
	Messages []message           `json:"messages,omitempty"`
	Offsets  map[string][2]int64 `json:"offsets,omitempty"`
	Values   []string            `json:"values,omitempty"`
	Version  string              `json:"version,omitempty"`
}

const timeout = 40 * time.Second

func config(a *args) (*sarama.Config, error) {
	c := sarama.NewConfig()
	c.ClientID = "brook-compat"
	c.Version = sarama.V2_1_0_0 // record batches with headers, and zstd
	c.Producer.Return.Successes = true
	c.Producer.RequiredAcks = sarama.WaitForAll
	c.Producer.Partitioner = sarama.NewManualPartitioner
	c.Consumer.Offsets.Initial = sarama.OffsetOldest
	c.Consumer.Return.Errors = true
	if a.CAFile != "" {
		pem, err := ioutil.ReadFile(a.CAFile)
		if err != nil {
			return nil, err
		}
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(pem)
		c.Net.TLS.Enable = true
		c.Net.TLS.Config = &tls.Config{RootCAs: pool, ServerName: "localhost"}
		c.Net.SASL.Enable = true
		c.Net.SASL.Mechanism = sarama.SASLMechanism(a.Mechanism)
		c.Net.SASL.User = a.Username
		c.Net.SASL.Password = a.Password
	}
	return c, nil
}

var codecs = map[string]sarama.CompressionCodec{
	"none": sarama.CompressionNone, "gzip": sarama.CompressionGZIP, "snappy": sarama.CompressionSnappy,
	"lz4": sarama.CompressionLZ4, "zstd": sarama.CompressionZSTD,
}

func produce(a *args) (*result, error) {
	c, err := config(a)
	if err != nil {
		return nil, err
	}
	c.Producer.Compression = codecs[a.Codec]
	p, err := sarama.NewSyncProducer([]string{a.Bootstrap}, c)
	if err != nil {
		return nil, err
	}
	defer p.Close()
	msgs := make([]*sarama.ProducerMessage, 0, len(a.Messages))
	for _, m := range a.Messages {
		pm := &sarama.ProducerMessage{Topic: a.Topic, Partition: m.Partition, Value: sarama.StringEncoder(*m.Value)}
		if m.Key != nil {
			pm.Key = sarama.StringEncoder(*m.Key)
		}
		for _, h := range m.Headers {
			pm.Headers = append(pm.Headers, sarama.RecordHeader{Key: []byte(h[0]), Value: []byte(h[1])})
		}
		if m.Timestamp != nil {
			pm.Timestamp = time.Unix(0, *m.Timestamp*int64(time.Millisecond))
		}
		msgs = append(msgs, pm)
	}
	if err := p.SendMessages(msgs); err != nil {
		return nil, err
	}
	return &result{OK: true}, nil
}

func toMessage(m *sarama.ConsumerMessage) message {
	key, value := string(m.Key), string(m.Value)
	ts := m.Timestamp.UnixNano() / int64(time.Millisecond)
	out := message{Partition: m.Partition, Offset: m.Offset, Value: &value, Timestamp: &ts, Headers: [][2]string{}}
	if m.Key != nil {
		out.Key = &key
	}
	for _, h := range m.Headers {
		out.Headers = append(out.Headers, [2]string{string(h.Key), string(h.Value)})
	}
	return out
}

// consume reads every partition from the beginning up to its high watermark.
func consume(a *args) (*result, error) {
	c, err := config(a)
	if err != nil {
		return nil, err
	}
	client, err := sarama.NewClient([]string{a.Bootstrap}, c)
	if err != nil {
		return nil, err
	}
	defer client.Close()
	consumer, err := sarama.NewConsumerFromClient(client)
	if err != nil {
		return nil, err
	}
	defer consumer.Close()
	out := []message{}
	for p := int32(0); p < a.Partitions; p++ {
		end, err := client.GetOffset(a.Topic, p, sarama.OffsetNewest)
		if err != nil {
			return nil, err
		}
		if end == 0 {
			continue
		}
		pc, err := consumer.ConsumePartition(a.Topic, p, sarama.OffsetOldest)
		if err != nil {
			return nil, err
		}
		deadline := time.After(timeout)
	read:
		for {
			select {
			case m := <-pc.Messages():
				out = append(out, toMessage(m))
				if m.Offset >= end-1 {
					break read
				}
			case e := <-pc.Errors():
				pc.Close()
				return nil, e
			case <-deadline:
				pc.Close()
				return nil, fmt.Errorf("partition %d: read %d messages before the deadline", p, len(out))
			}
		}
		pc.Close()
	}
	return &result{OK: true, Messages: out}, nil
}

func admin(a *args) (sarama.ClusterAdmin, error) {
	c, err := config(a)
	if err != nil {
		return nil, err
	}
	return sarama.NewClusterAdmin([]string{a.Bootstrap}, c)
}

func createTopic(a *args) (*result, error) {
	ad, err := admin(a)
	if err != nil {
		return nil, err
	}
	defer ad.Close()
	if err := ad.CreateTopic(a.Topic, &sarama.TopicDetail{NumPartitions: a.Partitions, ReplicationFactor: 1}, false); err != nil {
		return nil, err
	}
	return &result{OK: true}, nil
}

func deleteTopic(a *args) (*result, error) {
	ad, err := admin(a)
	if err != nil {
		return nil, err
	}
	defer ad.Close()
	if err := ad.DeleteTopic(a.Topic); err != nil {
		return nil, err
	}
	return &result{OK: true}, nil
}

func listOffsets(a *args) (*result, error) {
	c, err := config(a)
	if err != nil {
		return nil, err
	}
	client, err := sarama.NewClient([]string{a.Bootstrap}, c)
	if err != nil {
		return nil, err
	}
	defer client.Close()
	out := map[string][2]int64{}
	for p := int32(0); p < a.Partitions; p++ {
		lo, err := client.GetOffset(a.Topic, p, sarama.OffsetOldest)
		if err != nil {
			return nil, err
		}
		hi, err := client.GetOffset(a.Topic, p, sarama.OffsetNewest)
		if err != nil {
			return nil, err
		}
		out[fmt.Sprint(p)] = [2]int64{lo, hi}
	}
	return &result{OK: true, Offsets: out}, nil
}

// groupHandler marks every message it is given; the offset manager commits them when the group closes.
type groupHandler struct {
	expected int
	out      chan message
}

func (h *groupHandler) Setup(sarama.ConsumerGroupSession) error   { return nil }
func (h *groupHandler) Cleanup(sarama.ConsumerGroupSession) error { return nil }
func (h *groupHandler) ConsumeClaim(s sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	for m := range claim.Messages() {
		s.MarkMessage(m, "")
		h.out <- toMessage(m)
	}
	return nil
}

func group(a *args) (*result, error) {
	c, err := config(a)
	if err != nil {
		return nil, err
	}
	g, err := sarama.NewConsumerGroup([]string{a.Bootstrap}, a.Group, c)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	h := &groupHandler{expected: a.Expected, out: make(chan message, 1000)}
	done := make(chan error, 1)
	go func() {
		for ctx.Err() == nil {
			if err := g.Consume(ctx, []string{a.Topic}, h); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	out := []message{}
	deadline := time.After(timeout)
	for len(out) < a.Expected {
		select {
		case m := <-h.out:
			out = append(out, m)
		case err := <-g.Errors():
			cancel()
			g.Close()
			return nil, err
		case <-deadline:
			cancel()
			g.Close()
			return nil, fmt.Errorf("group read %d of %d", len(out), a.Expected)
		}
	}
	cancel()
	if err := <-done; err != nil {
		g.Close()
		return nil, err
	}
	// Close commits the marked offsets.
	if err := g.Close(); err != nil {
		return nil, err
	}
	return &result{OK: true, Messages: out}, nil
}

func secure(a *args) (*result, error) {
	msgs := []message{}
	for i := range a.Values {
		msgs = append(msgs, message{Partition: 0, Value: &a.Values[i]})
	}
	a.Messages = msgs
	a.Codec = "none"
	if _, err := produce(a); err != nil {
		return nil, err
	}
	a.Partitions = 1
	res, err := consume(a)
	if err != nil {
		return nil, err
	}
	sort.Slice(res.Messages, func(i, j int) bool { return res.Messages[i].Offset < res.Messages[j].Offset })
	values := []string{}
	for _, m := range res.Messages {
		values = append(values, *m.Value)
	}
	return &result{OK: true, Values: values}, nil
}

var steps = map[string]func(*args) (*result, error){
	"create": createTopic, "delete": deleteTopic, "produce": produce, "consume": consume,
	"offsets": listOffsets, "group": group, "secure": secure,
	"version": func(*args) (*result, error) { return &result{OK: true, Version: version}, nil },
}

// version is set at build time (-ldflags -X) from Debian's package version.
var version = "unknown"

func main() {
	var a args
	enc := json.NewEncoder(os.Stdout)
	if err := json.NewDecoder(os.Stdin).Decode(&a); err != nil {
		enc.Encode(result{Error: "bad arguments: " + err.Error()})
		return
	}
	step, ok := steps[os.Args[1]]
	if !ok {
		enc.Encode(result{Error: "unknown step " + os.Args[1]})
		return
	}
	res, err := step(&a)
	if err != nil {
		enc.Encode(result{Error: err.Error()})
		return
	}
	enc.Encode(res)
}
