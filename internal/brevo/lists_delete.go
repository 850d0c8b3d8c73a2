package brevo

import (
	"context"
	"net/http"
	"strconv"
)

// DeleteList deletes a list; its contacts stay in the account. A list that
// does not exist comes back as KindNotFound, which cleanups may ignore.
func (c *Client) DeleteList(ctx context.Context, id int64) error {
	const op = "lists.delete"
	if id <= 0 {
		return invalidArgument(op, "a list id is positive")
	}
	_, err := c.do(ctx, request{op: op, method: http.MethodDelete, path: "/contacts/lists/" + strconv.FormatInt(id, 10)}, nil)
	return err
}

// DeleteFolder deletes a folder and, as Brevo documents, every list in it
// (not their contacts). KindNotFound when it does not exist.
func (c *Client) DeleteFolder(ctx context.Context, id int64) error {
	const op = "folders.delete"
	if id <= 0 {
		return invalidArgument(op, "a folder id is positive")
	}
	_, err := c.do(ctx, request{op: op, method: http.MethodDelete, path: "/contacts/folders/" + strconv.FormatInt(id, 10)}, nil)
	return err
}
