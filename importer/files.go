package importer

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/connectsync/connectsync/manifest"
)

// workerFileName is the name render -o gives a worker's properties file.
const workerFileName = "connect-distributed.properties"

// ReadWorkersDir reads a cluster's worker files laid out as render -o
// writes them: DIR/<cluster>/workers/<worker>/connect-distributed.properties.
// The worker's name is its directory's.
func ReadWorkersDir(dir, cluster string) ([]WorkerFile, error) {
	root := filepath.Join(dir, cluster, "workers")
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, fmt.Errorf("--workers-dir: %w (hint: the layout is DIR/%s/workers/<worker>/%s, as render -o writes it)",
			err, cluster, workerFileName)
	}
	var out []WorkerFile
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		p := filepath.Join(root, e.Name(), workerFileName)
		f, err := ReadWorkerFile(e.Name(), p)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("--workers-dir: %s holds no <worker>/%s (hint: the layout is DIR/<cluster>/workers/<worker>/%s, as render -o writes it)",
			root, workerFileName, workerFileName)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// ReadWorkerFile reads one worker's properties file.
func ReadWorkerFile(name, path string) (WorkerFile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return WorkerFile{}, fmt.Errorf("worker %s: %w", name, err)
	}
	return WorkerFile{Name: name, Props: manifest.ParseProperties(string(b))}, nil
}
