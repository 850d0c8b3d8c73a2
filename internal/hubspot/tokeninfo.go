package hubspot

import (
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/go-resty/resty/v2"

	"hubspot-brevo-sync/internal/httpx"
)

// RequiredScopes are the scopes the sync's calls need, from the security
// requirements the HubSpot spec collection gives the endpoints we call:
// crm.lists.read for the list look-ups, list search and memberships;
// crm.objects.contacts.read for contact batch read, listing, search and
// single reads. The contact properties endpoint accepts any of many
// scopes, crm.objects.contacts.read among them (crm.schemas.contacts.read
// also does, but is not needed once the first one is granted).
var RequiredScopes = []string{"crm.lists.read", "crm.objects.contacts.read"}

// Token kinds of TokenInfo.
const (
	TokenPrivateApp = "private-app" // static token: private app, service key
	TokenOAuth      = "oauth"       // access token of an OAuth app
)

// TokenInfo describes the credential the client calls HubSpot with.
type TokenInfo struct {
	Kind   string
	Scopes []string
	HubID  int64
	AppID  int64
	UserID int64
	// ExpiresIn is what is left of an OAuth access token's life (zero for
	// static tokens, which do not expire).
	ExpiresIn time.Duration
}

// MissingScopes returns the scopes of required the token lacks, in order.
func (t TokenInfo) MissingScopes(required []string) []string {
	var missing []string
	for _, s := range required {
		if !slices.Contains(t.Scopes, s) {
			missing = append(missing, s)
		}
	}
	return missing
}

// Token-info endpoints. HubSpot documents the private-app one on its
// private apps page (not in the spec collection). For OAuth the spec
// collection marks GET /oauth/v1/access-tokens/{token} deprecated in
// favour of POST /oauth/v3/token/introspect; we ask the new one first and
// fall back to the old one where the new one is not found.
const (
	pathPrivateAppTokenInfo = "/oauth/v2/private-apps/get/access-token-info"
	pathTokenIntrospect     = "/oauth/v3/token/introspect"
	pathLegacyTokenInfo     = "/oauth/v1/access-tokens/{token}"
)

// TokenInfo asks HubSpot what the client's token is: its kind, account
// and granted scopes. It is one call (two for OAuth on a HubSpot without
// the introspection endpoint) and is meant for diagnostics, not for every
// sync pass.
func (c *Client) TokenInfo(ctx context.Context) (TokenInfo, error) {
	if c.oauth {
		return c.oauthTokenInfo(ctx)
	}
	var res struct {
		UserID flexInt  `json:"userId"`
		HubID  flexInt  `json:"hubId"`
		AppID  flexInt  `json:"appId"`
		Scopes []string `json:"scopes"`
	}
	// The token goes in the body; the Authorization header as well, which
	// integrators report EU (pat-eu1) tokens need.
	_, err := c.do(ctx, request{
		op:     opTokenInfo,
		method: http.MethodPost,
		path:   pathPrivateAppTokenInfo,
		tokenIn: func(r *resty.Request, tok string) {
			r.SetHeader("Content-Type", "application/json").SetBody(map[string]string{"tokenKey": tok})
		},
	}, &res)
	if err != nil {
		return TokenInfo{}, err
	}
	return TokenInfo{Kind: TokenPrivateApp, Scopes: res.Scopes, HubID: int64(res.HubID), AppID: int64(res.AppID), UserID: int64(res.UserID)}, nil
}

// oauthTokenJSON is the part of both OAuth token-info answers we read.
// Active is only in the introspection answer.
type oauthTokenJSON struct {
	Active    *bool    `json:"active"`
	Scopes    []string `json:"scopes"`
	HubID     flexInt  `json:"hub_id"`
	AppID     flexInt  `json:"app_id"`
	UserID    flexInt  `json:"user_id"`
	ExpiresIn flexInt  `json:"expires_in"`
}

func (c *Client) oauthTokenInfo(ctx context.Context) (TokenInfo, error) {
	var res oauthTokenJSON
	_, err := c.do(ctx, request{
		op:       opTokenInfo,
		method:   http.MethodPost,
		path:     pathTokenIntrospect,
		noBearer: true, // the app authenticates with its client credentials
		tokenIn: func(r *resty.Request, tok string) {
			r.SetFormData(map[string]string{
				"client_id":       c.oauthClient.ClientID,
				"client_secret":   c.oauthClient.ClientSecret,
				"token":           tok,
				"token_type_hint": "access_token",
			})
		},
	}, &res)
	if e, ok := httpx.AsError(err); ok && (e.Status == http.StatusNotFound || e.Status == http.StatusMethodNotAllowed) {
		res = oauthTokenJSON{}
		err = c.legacyTokenInfo(ctx, &res)
	}
	if err != nil {
		return TokenInfo{}, err
	}
	if res.Active != nil && !*res.Active {
		return TokenInfo{}, &httpx.Error{API: apiName, Op: opTokenInfo, Kind: httpx.KindAuth,
			Message: "HubSpot says the access token is not active (revoked, or the app was uninstalled)"}
	}
	return TokenInfo{Kind: TokenOAuth, Scopes: res.Scopes, HubID: int64(res.HubID), AppID: int64(res.AppID),
		UserID: int64(res.UserID), ExpiresIn: time.Duration(res.ExpiresIn) * time.Second}, nil
}

// legacyTokenInfo reads GET /oauth/v1/access-tokens/{token}, which needs
// no credentials besides the token in the path.
func (c *Client) legacyTokenInfo(ctx context.Context, out *oauthTokenJSON) error {
	_, err := c.do(ctx, request{
		op:       opTokenInfo,
		method:   http.MethodGet,
		path:     pathLegacyTokenInfo,
		noBearer: true,
		tokenIn:  func(r *resty.Request, tok string) { r.SetPathParam("token", tok) },
	}, out)
	return err
}
