package sandbox

import "net/http"

// registerDeletes adds the list and folder deletions, on the contacts
// budget like the rest of /v3/contacts.
func (b *Brevo) registerDeletes(mux *http.ServeMux) {
	b.route(mux, "DELETE /v3/contacts/lists/{id}", brevoFamContacts, b.handleDeleteList)
	b.route(mux, "DELETE /v3/contacts/folders/{id}", brevoFamContacts, b.handleDeleteFolder)
}

// handleDeleteList deletes a list and takes it off its members; the
// contacts stay.
func (b *Brevo) handleDeleteList(w http.ResponseWriter, r *http.Request) {
	defer b.lockSettled()()
	l := b.listLocked(w, r)
	if l == nil {
		return
	}
	b.deleteListLocked(l.ID)
	w.WriteHeader(http.StatusNoContent)
}

// handleDeleteFolder deletes a folder with every list in it, as Brevo does.
func (b *Brevo) handleDeleteFolder(w http.ResponseWriter, r *http.Request) {
	id, ok := brevoPathID(r, "id")
	if !ok {
		b.fail(w, brevoInvalid("Invalid folder id"))
		return
	}
	defer b.lockSettled()()
	if _, ok := b.folders[id]; !ok {
		b.fail(w, brevoNotFound("Folder ID does not exist"))
		return
	}
	for _, l := range b.listsLocked() {
		if l.FolderID == id {
			b.deleteListLocked(l.ID)
		}
	}
	delete(b.folders, id)
	w.WriteHeader(http.StatusNoContent)
}

func (b *Brevo) deleteListLocked(id int64) {
	for _, c := range b.contacts {
		c.removeList(id)
	}
	delete(b.lists, id)
}
