package auth

import (
	"fmt"
	"io"
	"os"
	"syscall"
)

// ReadFileBounded reads a key or identity file of at most max bytes. It
// refuses anything but a regular file, and opens without blocking, so a FIFO
// planted where a key file is expected cannot hang the reader.
func ReadFileBounded(name string, max int64) ([]byte, error) {
	f, err := os.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil {
		return nil, err
	} else if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", name)
	}
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%s larger than %d bytes", name, max)
	}
	return data, nil
}
