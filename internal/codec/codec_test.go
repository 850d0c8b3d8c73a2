package codec

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/proto"
)

func testKey(id string, fill byte) Key {
	return Key{ID: id, Secret: bytes.Repeat([]byte{fill}, KeySize)}
}

func mustKeyring(t testing.TB, keys ...Key) *Keyring {
	t.Helper()
	kr, err := NewKeyring(keys)
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

func TestDataConverterRoundTripHidesContent(t *testing.T) {
	dc := DataConverter(mustKeyring(t, testKey("k1", 1)))
	type contact struct{ Email string }
	p, err := dc.ToPayload(contact{Email: "ada@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(p.GetData(), []byte("ada@example.com")) {
		t.Fatal("encrypted payload contains the email in clear")
	}
	if got := string(p.GetMetadata()[converter.MetadataEncoding]); got != MetadataEncodingEncrypted {
		t.Fatalf("encoding %q", got)
	}
	if got := string(p.GetMetadata()[MetadataKeyID]); got != "k1" {
		t.Fatalf("key id %q", got)
	}
	var back contact
	if err := dc.FromPayload(p, &back); err != nil || back.Email != "ada@example.com" {
		t.Fatalf("round trip: %+v %v", back, err)
	}
}

func TestKeyRotation(t *testing.T) {
	old := New(mustKeyring(t, testKey("2025", 1)))
	enc, err := old.Encode([]*commonpb.Payload{{Data: []byte("written last year")}})
	if err != nil {
		t.Fatal(err)
	}
	// The new current key comes first; the old one still decrypts.
	rotated := New(mustKeyring(t, testKey("2026", 2), testKey("2025", 1)))
	dec, err := rotated.Decode(enc)
	if err != nil || string(dec[0].GetData()) != "written last year" {
		t.Fatalf("old payload with rotated keyring: %v %v", dec, err)
	}
	fresh, err := rotated.Encode([]*commonpb.Payload{{Data: []byte("x")}})
	if err != nil || string(fresh[0].GetMetadata()[MetadataKeyID]) != "2026" {
		t.Fatalf("new payloads must use the current key: %v %v", fresh, err)
	}
	// Without the old key the error names it.
	_, err = New(mustKeyring(t, testKey("2026", 2))).Decode(enc)
	if err == nil || !strings.Contains(err.Error(), `"2025"`) {
		t.Fatalf("missing key: %v", err)
	}
}

func TestPlainPayloadsPassThrough(t *testing.T) {
	plain, _ := converter.GetDefaultDataConverter().ToPayload(map[string]int{"a": 1})
	dec, err := New(mustKeyring(t, testKey("k", 3))).Decode([]*commonpb.Payload{plain})
	if err != nil || !proto.Equal(dec[0], plain) {
		t.Fatalf("unencrypted payload changed: %v %v", dec, err)
	}
}

func TestTamperingIsDetected(t *testing.T) {
	c := New(mustKeyring(t, testKey("a", 1), testKey("b", 2)))
	enc, _ := c.Encode([]*commonpb.Payload{{Data: []byte("secret")}})
	flipped := proto.Clone(enc[0]).(*commonpb.Payload)
	flipped.Data[len(flipped.Data)-1] ^= 1
	if _, err := c.Decode([]*commonpb.Payload{flipped}); err == nil || !strings.Contains(err.Error(), "authenticate") {
		t.Fatalf("flipped bit: %v", err)
	}
	relabeled := proto.Clone(enc[0]).(*commonpb.Payload)
	relabeled.Metadata[MetadataKeyID] = []byte("b")
	if _, err := c.Decode([]*commonpb.Payload{relabeled}); err == nil {
		t.Fatal("payload relabeled to another key decrypted")
	}
	short := proto.Clone(enc[0]).(*commonpb.Payload)
	short.Data = short.Data[:5]
	if _, err := c.Decode([]*commonpb.Payload{short}); err == nil || !strings.Contains(err.Error(), "truncated") {
		t.Fatalf("truncated: %v", err)
	}
}

func TestParseKeys(t *testing.T) {
	k1 := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 32))
	k2 := base64.RawURLEncoding.EncodeToString(bytes.Repeat([]byte{2}, 32))
	kr, err := ParseKeys(" new:" + k1 + " , old:" + k2)
	if err != nil || kr.CurrentKeyID() != "new" || len(kr.KeyIDs()) != 2 {
		t.Fatalf("%v %v", kr, err)
	}
	kr, err = ParseKeys("# rotated 2026-01\nnew:" + k1 + "\n\nold:" + k2 + "\n")
	if err != nil || kr.CurrentKeyID() != "new" {
		t.Fatalf("file form: %v", err)
	}
	short := base64.StdEncoding.EncodeToString([]byte("sixteen bytes!!!"))
	for _, bad := range []struct{ in, want string }{
		{"", "no key"},
		{k1, `no "id:"`},
		{"a:" + short, "16 bytes, want 32"},
		{"a:not*base64", "not base64"},
		{"a:" + k1 + ",a:" + k2, "twice"},
		{"bad id:" + k1, "key id"},
	} {
		_, err := ParseKeys(bad.in)
		if err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("ParseKeys(%q) = %v, want %q", bad.in, err, bad.want)
			continue
		}
		for _, secret := range []string{k1, k2, short} {
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error %q reveals key material", err)
			}
		}
	}
	if g, err := ParseKeys("g:" + GenerateKey()); err != nil || g.CurrentKeyID() != "g" {
		t.Fatalf("generated key: %v", err)
	}
}

// FuzzCodecRoundTrip: whatever the payload, decode(encode(p)) == p, and
// the ciphertext never contains a recognisable piece of the data.
func FuzzCodecRoundTrip(f *testing.F) {
	f.Add([]byte(`{"email":"ada@example.com"}`), "json/plain")
	f.Add([]byte{}, "")
	f.Add(bytes.Repeat([]byte{0}, 1000), "binary/plain")
	c := New(mustKeyring(f, testKey("cur", 7), testKey("old", 8)))
	f.Fuzz(func(t *testing.T, data []byte, encoding string) {
		p := &commonpb.Payload{Metadata: map[string][]byte{"encoding": []byte(encoding)}, Data: data}
		if encoding == MetadataEncodingEncrypted {
			// Claims to be ours but is not: decoding it must fail, not panic.
			if _, err := c.Decode([]*commonpb.Payload{p}); err == nil {
				t.Fatal("garbage claiming to be encrypted decoded")
			}
			return
		}
		enc, err := c.Encode([]*commonpb.Payload{p})
		if err != nil {
			t.Fatal(err)
		}
		if len(data) >= 16 && bytes.Contains(enc[0].GetData(), data) {
			t.Fatal("ciphertext contains the plaintext")
		}
		dec, err := c.Decode(enc)
		if err != nil {
			t.Fatal(err)
		}
		if !proto.Equal(dec[0], p) {
			t.Fatalf("round trip changed the payload: %v != %v", dec[0], p)
		}
	})
}

// FuzzCodecTamper: changing any byte of an encrypted payload's data makes
// decoding fail.
func FuzzCodecTamper(f *testing.F) {
	f.Add([]byte("contact data"), uint16(0), byte(1))
	f.Add([]byte(""), uint16(11), byte(0x80))
	f.Add([]byte("x"), uint16(40), byte(0xff))
	c := New(mustKeyring(f, testKey("k", 9)))
	f.Fuzz(func(t *testing.T, data []byte, pos uint16, flip byte) {
		if flip == 0 {
			flip = 1
		}
		enc, err := c.Encode([]*commonpb.Payload{{Data: data}})
		if err != nil {
			t.Fatal(err)
		}
		tampered := proto.Clone(enc[0]).(*commonpb.Payload)
		tampered.Data[int(pos)%len(tampered.Data)] ^= flip
		if _, err := c.Decode([]*commonpb.Payload{tampered}); err == nil {
			t.Fatalf("tampered byte %d accepted", int(pos)%len(tampered.Data))
		}
	})
}
