package kb

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"acuerdo"
)

// LoadDir parses every document in dir and its subfolders (hidden files and
// folders skipped). Any file Parse cannot read fails the whole load, with
// the file's path in the error: the knowledge base is replaced whole or not
// at all. each, when not nil, is told of every document parsed.
func LoadDir(dir string, each func(doc acuerdo.KnowledgeDoc)) ([]acuerdo.KnowledgeDoc, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, acuerdo.Errorf(acuerdo.EINVALID, "%s: %v; give the folder that holds the documents", dir, err)
	}
	if !st.IsDir() {
		return nil, acuerdo.Errorf(acuerdo.EINVALID, "%s is not a folder; put the documents in one and give its path", dir)
	}
	var paths []string
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if strings.HasPrefix(d.Name(), ".") && path != dir {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.IsDir() {
			paths = append(paths, path)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", dir, err)
	}
	sort.Strings(paths)
	var docs []acuerdo.KnowledgeDoc
	seen := map[string]string{}
	for _, p := range paths {
		name := filepath.Base(p)
		if prev, ok := seen[name]; ok {
			return nil, acuerdo.Errorf(acuerdo.EINVALID, "%s and %s have the same name; documents are known by their file name, rename one", prev, p)
		}
		seen[name] = p
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", p, err)
		}
		doc, err := Parse(name, data)
		if err != nil {
			return nil, fmt.Errorf("in %s: %w", filepath.Dir(p), err)
		}
		docs = append(docs, doc)
		if each != nil {
			each(doc)
		}
	}
	if len(docs) == 0 {
		return nil, acuerdo.Errorf(acuerdo.EINVALID, "%s holds no documents (.md, .txt or .pdf)", dir)
	}
	return docs, nil
}
