// Package codec encrypts the payloads the product stores in Temporal:
// workflow and activity inputs and results, queries, memos, user metadata
// and (through the failure converter) error messages. AES-256-GCM, one key
// id per payload in its metadata so keys can rotate: payloads are encoded
// with the current key and decoded with whichever known key they name.
// Payloads that were never encrypted (written before encryption was turned
// on) pass through unchanged.
//
// Search attributes are never encoded by Temporal; the product puts no
// personal data there.
package codec

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"strings"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/protobuf/proto"
)

// Metadata of an encrypted payload.
const (
	// MetadataEncodingEncrypted is the "encoding" of an encrypted payload,
	// as in Temporal's encryption sample, so tools recognise it.
	MetadataEncodingEncrypted = "binary/encrypted"
	// MetadataKeyID names the key that encrypted the payload.
	MetadataKeyID = "encryption-key-id"
	// MetadataCipher names the algorithm, for whoever reads raw history.
	MetadataCipher = "encryption-cipher"
	cipherName     = "AES256-GCM"
)

// KeySize is the length of an AES-256 key in bytes.
const KeySize = 32

var keyIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// Key is one named AES-256 key.
type Key struct {
	ID     string
	Secret []byte // KeySize bytes
}

// Keyring holds the current key (the one that encrypts) and every key that
// may still decrypt.
type Keyring struct {
	current Key
	byID    map[string]cipher.AEAD
}

// NewKeyring builds a keyring; keys[0] is the current key. Key ids must be
// unique, 1-64 characters of [A-Za-z0-9._-]; secrets KeySize bytes.
func NewKeyring(keys []Key) (*Keyring, error) {
	if len(keys) == 0 {
		return nil, errors.New("no key")
	}
	kr := &Keyring{current: keys[0], byID: map[string]cipher.AEAD{}}
	for _, k := range keys {
		if !keyIDPattern.MatchString(k.ID) {
			return nil, fmt.Errorf("key id %q: want 1-64 characters of A-Z a-z 0-9 . _ -", k.ID)
		}
		if len(k.Secret) != KeySize {
			return nil, fmt.Errorf("key %q is %d bytes, want %d (AES-256)", k.ID, len(k.Secret), KeySize)
		}
		if _, dup := kr.byID[k.ID]; dup {
			return nil, fmt.Errorf("key id %q appears twice", k.ID)
		}
		block, err := aes.NewCipher(k.Secret)
		if err != nil {
			return nil, fmt.Errorf("key %q: %w", k.ID, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("key %q: %w", k.ID, err)
		}
		kr.byID[k.ID] = aead
	}
	return kr, nil
}

// ParseKeys reads keys written as "id:base64" separated by commas or
// newlines; the first is the current key. Blank lines and lines starting
// with # are ignored (for key files). Standard and URL-safe base64, with or
// without padding, are accepted. Errors never contain key material.
func ParseKeys(s string) (*Keyring, error) {
	var keys []Key
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		for _, item := range strings.Split(line, ",") {
			item = strings.TrimSpace(item)
			if item == "" {
				continue
			}
			id, b64, ok := strings.Cut(item, ":")
			if !ok {
				return nil, fmt.Errorf(`key %d has no "id:" before it`, len(keys)+1)
			}
			secret, err := decodeBase64(strings.TrimSpace(b64))
			if err != nil {
				return nil, fmt.Errorf("key %q: not base64", strings.TrimSpace(id))
			}
			keys = append(keys, Key{ID: strings.TrimSpace(id), Secret: secret})
		}
	}
	return NewKeyring(keys)
}

func decodeBase64(s string) ([]byte, error) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, nil
		}
	}
	return nil, errors.New("not base64")
}

// GenerateKey returns a new random key secret, base64-encoded: what to put
// after "id:" in SYNC_PAYLOAD_KEYS.
func GenerateKey() string {
	b := make([]byte, KeySize)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// CurrentKeyID is the id new payloads are encrypted with.
func (k *Keyring) CurrentKeyID() string { return k.current.ID }

// KeyIDs lists every key id, current first.
func (k *Keyring) KeyIDs() []string {
	ids := []string{k.current.ID}
	for id := range k.byID {
		if id != k.current.ID {
			ids = append(ids, id)
		}
	}
	return ids
}

// Codec is the converter.PayloadCodec of a keyring.
type Codec struct{ keys *Keyring }

var _ converter.PayloadCodec = (*Codec)(nil)

// New returns the payload codec of a keyring.
func New(keys *Keyring) *Codec { return &Codec{keys: keys} }

// aad binds a ciphertext to the key id it claims, so moving a payload's
// metadata to another key fails authentication rather than decrypting
// garbage.
func aad(keyID string) []byte { return []byte(MetadataEncodingEncrypted + "/" + keyID) }

// Encode encrypts each payload (the whole proto, metadata included) with
// the current key.
func (c *Codec) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	id := c.keys.current.ID
	aead := c.keys.byID[id]
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		plain, err := proto.Marshal(p)
		if err != nil {
			return payloads, fmt.Errorf("codec: marshal payload: %w", err)
		}
		nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
		if _, err := rand.Read(nonce); err != nil {
			return payloads, fmt.Errorf("codec: nonce: %w", err)
		}
		out[i] = &commonpb.Payload{
			Metadata: map[string][]byte{
				converter.MetadataEncoding: []byte(MetadataEncodingEncrypted),
				MetadataKeyID:              []byte(id),
				MetadataCipher:             []byte(cipherName),
			},
			Data: aead.Seal(nonce, nonce, plain, aad(id)),
		}
	}
	return out, nil
}

// Decode decrypts encrypted payloads with the key they name and passes any
// other payload through.
func (c *Codec) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if string(p.GetMetadata()[converter.MetadataEncoding]) != MetadataEncodingEncrypted {
			out[i] = p
			continue
		}
		id := string(p.GetMetadata()[MetadataKeyID])
		aead, ok := c.keys.byID[id]
		if !ok {
			return payloads, fmt.Errorf("codec: payload encrypted with key %q, which is not configured (SYNC_PAYLOAD_KEYS)", id)
		}
		data := p.GetData()
		if len(data) < aead.NonceSize()+aead.Overhead() {
			return payloads, fmt.Errorf("codec: payload encrypted with key %q is truncated", id)
		}
		nonce, sealed := data[:aead.NonceSize()], data[aead.NonceSize():]
		plain, err := aead.Open(nil, nonce, sealed, aad(id))
		if err != nil {
			return payloads, fmt.Errorf("codec: payload encrypted with key %q does not authenticate (tampered, or a different key under the same id)", id)
		}
		var dec commonpb.Payload
		if err := proto.Unmarshal(plain, &dec); err != nil {
			return payloads, fmt.Errorf("codec: decrypted payload is not a payload: %w", err)
		}
		out[i] = &dec
	}
	return out, nil
}

// DataConverter wraps Temporal's default converter with the codec.
func DataConverter(keys *Keyring) converter.DataConverter {
	return converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), New(keys))
}

// FailureConverter encodes error messages and stack traces with the data
// converter, so text in errors (which can name a contact) is encrypted too.
func FailureConverter(dc converter.DataConverter) converter.FailureConverter {
	return temporal.NewDefaultFailureConverter(temporal.DefaultFailureConverterOptions{
		DataConverter:          dc,
		EncodeCommonAttributes: true,
	})
}
