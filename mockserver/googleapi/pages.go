package googleapi

import (
	"cmp"
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// PageCursor is a position in a listing ordered by creation time (newest
// first), then id; page tokens encode the last item of the previous page.
type PageCursor struct {
	CreateTime time.Time
	ID         string
}

// Token is the page token that resumes after c.
func (c PageCursor) Token() string {
	return base64.URLEncoding.EncodeToString([]byte(strconv.FormatInt(c.CreateTime.UnixNano(), 10) + "/" + c.ID))
}

func parsePageCursor(token string) (*PageCursor, bool) {
	raw, err := base64.URLEncoding.DecodeString(token)
	if err != nil {
		return nil, false
	}
	nanos, id, ok := strings.Cut(string(raw), "/")
	n, err := strconv.ParseInt(nanos, 10, 64)
	if !ok || err != nil || id == "" {
		return nil, false
	}
	return &PageCursor{CreateTime: time.Unix(0, n), ID: id}, true
}

// Before reports whether the item (t, id) comes after the cursor in
// listing order.
func (c PageCursor) Before(t time.Time, id string) bool {
	if !t.Equal(c.CreateTime) {
		return t.Before(c.CreateTime)
	}
	return id > c.ID
}

// Page is a listing request's page size and raw page token.
type Page struct {
	Size  int
	Token string
}

// PageQuery reads pageSize and pageToken (either spelling) for a listing
// with the given default and maximum page size; request names the request
// message in errors. Query parameters beyond these, the system ones and
// allowed are refused.
func PageQuery(r *http.Request, request string, defaultSize, maxSize int, allowed ...string) (Page, *Error) {
	if err := CheckQuery(r, append(allowed, "pageSize", "page_size", "pageToken", "page_token")...); err != nil {
		return Page{}, err
	}
	q := r.URL.Query()
	page := Page{Size: defaultSize, Token: cmp.Or(q.Get("pageToken"), q.Get("page_token"))}
	if raw := cmp.Or(q.Get("pageSize"), q.Get("page_size")); raw != "" {
		n, err := strconv.ParseInt(raw, 10, 32)
		switch {
		case err != nil:
			return Page{}, BadPayload("page_size", fmt.Sprintf("Invalid value at 'page_size' (TYPE_INT32), %q", raw))
		case n < 0:
			return Page{}, InvalidFields(request + ".page_size: page_size must not be negative")
		case n > 0:
			page.Size = int(min(n, int64(maxSize)))
		}
	}
	return page, nil
}

// CursorPage is PageQuery for listings ordered by creation time whose
// tokens are PageCursor tokens; after is nil on the first page.
func CursorPage(r *http.Request, request string, defaultSize, maxSize int) (int, *PageCursor, *Error) {
	page, err := PageQuery(r, request, defaultSize, maxSize, "filter", "returnPartialSuccess", "return_partial_success")
	if err != nil || page.Token == "" {
		return page.Size, nil, err
	}
	c, ok := parsePageCursor(page.Token)
	if !ok {
		return 0, nil, InvalidFields(request + ".page_token: invalid page token")
	}
	return page.Size, c, nil
}
