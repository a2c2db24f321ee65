//go:build darwin || freebsd

package knowledge

import (
	"fmt"
	"os"
	"syscall"
)

// fileID names the file behind info (device and inode) and the last
// change of its inode, so that a file replaced by one of the same size
// and time, or written in place and its modification time set back, is
// still told apart.
func fileID(info os.FileInfo) string {
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		return fmt.Sprintf("%d:%d:%d.%d", st.Dev, st.Ino, st.Ctimespec.Sec, st.Ctimespec.Nsec)
	}
	return ""
}
