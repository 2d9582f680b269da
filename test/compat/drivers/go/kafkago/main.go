// Drives segmentio/kafka-go (Debian golang-github-segmentio-kafka-go-dev, 0.2.1) through one compat step:
// the step name in argv[1], JSON arguments on stdin, one JSON line on stdout. This version writes message
// format v1 (no headers) and has no zstd, no SASL and no transactions.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	kafka "github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/gzip"
	"github.com/segmentio/kafka-go/lz4"
	"github.com/segmentio/kafka-go/snappy"
)

type message struct {
	Partition int         `json:"partition"`
	Offset    int64       `json:"offset"`
	Key       *string     `json:"key"`
	Value     *string     `json:"value"`
	Headers   [][2]string `json:"headers"`
	Timestamp *int64      `json:"timestamp"`
}

type args struct {
	Bootstrap  string    `json:"bootstrap"`
	Topic      string    `json:"topic"`
	Partitions int       `json:"partitions"`
	Expected   int       `json:"expected"`
	Codec      string    `json:"codec"`
	Group      string    `json:"group"`
	Messages   []message `json:"messages"`
}

type result struct {
	OK       bool                `json:"ok"`
	Error    string              `json:"error,omitempty"`
	Messages []message           `json:"messages,omitempty"`
	Offsets  map[string][2]int64 `json:"offsets,omitempty"`
	Version  string              `json:"version,omitempty"`
}

const timeout = 40 * time.Second

func ctx() (context.Context, context.CancelFunc) { return context.WithTimeout(context.Background(), timeout) }

func leader(a *args, partition int) (*kafka.Conn, error) {
	c, cancel := ctx()
	defer cancel()
	conn, err := kafka.DialLeader(c, "tcp", a.Bootstrap, a.Topic, partition)
	if err != nil {
		return nil, err
	}
	conn.SetDeadline(time.Now().Add(timeout))
	return conn, nil
}

func codec(name string) kafka.CompressionCodec {
	switch name {
	case "gzip":
		return gzip.NewCompressionCodec()
	case "snappy":
		return snappy.NewCompressionCodec()
	case "lz4":
		return lz4.NewCompressionCodec()
	}
	return nil
}

func produce(a *args) (*result, error) {
	byPartition := map[int][]kafka.Message{}
	for _, m := range a.Messages {
		km := kafka.Message{Value: []byte(*m.Value)}
		if m.Key != nil {
			km.Key = []byte(*m.Key)
		}
		if m.Timestamp != nil {
			km.Time = time.Unix(0, *m.Timestamp*int64(time.Millisecond))
		}
		byPartition[m.Partition] = append(byPartition[m.Partition], km)
	}
	for p, msgs := range byPartition {
		conn, err := leader(a, p)
		if err != nil {
			return nil, err
		}
		conn.SetRequiredAcks(-1)
		if c := codec(a.Codec); c != nil {
			_, err = conn.WriteCompressedMessages(c, msgs...)
		} else {
			_, err = conn.WriteMessages(msgs...)
		}
		conn.Close()
		if err != nil {
			return nil, err
		}
	}
	return &result{OK: true}, nil
}

func toMessage(m kafka.Message) message {
	key, value := string(m.Key), string(m.Value)
	ts := m.Time.UnixNano() / int64(time.Millisecond)
	out := message{Partition: m.Partition, Offset: m.Offset, Value: &value, Timestamp: &ts, Headers: [][2]string{}}
	if m.Key != nil {
		out.Key = &key
	}
	return out
}

func consume(a *args) (*result, error) {
	out := []message{}
	for p := 0; p < a.Partitions; p++ {
		conn, err := leader(a, p)
		if err != nil {
			return nil, err
		}
		first, last, err := conn.ReadOffsets()
		if err != nil {
			conn.Close()
			return nil, err
		}
		if _, err := conn.Seek(first, kafka.SeekAbsolute); err != nil {
			conn.Close()
			return nil, err
		}
		for next := first; next < last; {
			batch := conn.ReadBatch(1, 10<<20)
			for {
				m, err := batch.ReadMessage()
				if err != nil {
					break
				}
				out = append(out, toMessage(m))
				next = m.Offset + 1
			}
			if err := batch.Close(); err != nil {
				conn.Close()
				return nil, err
			}
		}
		conn.Close()
	}
	return &result{OK: true, Messages: out}, nil
}

func createTopic(a *args) (*result, error) {
	conn, err := kafka.Dial("tcp", a.Bootstrap)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if err := conn.CreateTopics(kafka.TopicConfig{Topic: a.Topic, NumPartitions: a.Partitions, ReplicationFactor: 1}); err != nil {
		return nil, err
	}
	return &result{OK: true}, nil
}

func deleteTopic(a *args) (*result, error) {
	conn, err := kafka.Dial("tcp", a.Bootstrap)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if err := conn.DeleteTopics(a.Topic); err != nil {
		return nil, err
	}
	return &result{OK: true}, nil
}

func listOffsets(a *args) (*result, error) {
	out := map[string][2]int64{}
	for p := 0; p < a.Partitions; p++ {
		conn, err := leader(a, p)
		if err != nil {
			return nil, err
		}
		first, last, err := conn.ReadOffsets()
		conn.Close()
		if err != nil {
			return nil, err
		}
		out[fmt.Sprint(p)] = [2]int64{first, last}
	}
	return &result{OK: true, Offsets: out}, nil
}

// group reads through a consumer-group Reader, committing each message synchronously (CommitInterval 0).
func group(a *args) (*result, error) {
	r := kafka.NewReader(kafka.ReaderConfig{
		Brokers: []string{a.Bootstrap}, GroupID: a.Group, Topic: a.Topic, MaxWait: 200 * time.Millisecond,
		HeartbeatInterval: time.Second, SessionTimeout: 10 * time.Second,
	})
	c, cancel := ctx()
	defer cancel()
	out := []message{}
	for len(out) < a.Expected {
		m, err := r.FetchMessage(c)
		if err != nil {
			r.Close()
			return nil, fmt.Errorf("after %d of %d: %v", len(out), a.Expected, err)
		}
		if err := r.CommitMessages(c, m); err != nil {
			r.Close()
			return nil, err
		}
		out = append(out, toMessage(m))
	}
	if err := r.Close(); err != nil {
		return nil, err
	}
	return &result{OK: true, Messages: out}, nil
}

var version = "unknown"

var steps = map[string]func(*args) (*result, error){
	"create": createTopic, "delete": deleteTopic, "produce": produce, "consume": consume,
	"offsets": listOffsets, "group": group,
	"version": func(*args) (*result, error) { return &result{OK: true, Version: version}, nil },
}

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
