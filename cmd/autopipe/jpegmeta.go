package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"unicode/utf16"
)

// JPEG files carry the parameters text as AUTOMATIC1111 writes it: in the
// EXIF UserComment tag, with the "UNICODE" character code and UTF-16
// big-endian text (piexif's UserComment.dump(text, encoding="unicode")).

const (
	tagExifIFD     = 0x8769
	tagUserComment = 0x9286
	typeLong       = 4
	typeUndefined  = 7
	maxExif        = 0xffff - 2
)

var unicodePrefix = []byte("UNICODE\x00")

// exifUserComment returns an APP1 EXIF segment holding text as UserComment.
func exifUserComment(text string) ([]byte, error) {
	units := utf16.Encode([]rune(text))
	comment := make([]byte, 0, len(unicodePrefix)+2*len(units))
	comment = append(comment, unicodePrefix...)
	for _, u := range units {
		comment = binary.BigEndian.AppendUint16(comment, u)
	}
	// TIFF header (8) + IFD0 with one entry (2+12+4) + Exif IFD with one
	// entry (2+12+4), then the comment.
	const ifd0, exifIFD, data = 8, 8 + 18, 8 + 18 + 18
	be := binary.BigEndian
	t := []byte("MM\x00\x2a")
	t = be.AppendUint32(t, ifd0)
	t = be.AppendUint16(t, 1)
	t = appendEntry(t, tagExifIFD, typeLong, 1, exifIFD)
	t = be.AppendUint32(t, 0)
	t = be.AppendUint16(t, 1)
	t = appendEntry(t, tagUserComment, typeUndefined, uint32(len(comment)), data)
	t = be.AppendUint32(t, 0)
	t = append(t, comment...)
	body := append([]byte("Exif\x00\x00"), t...)
	if len(body) > maxExif {
		return nil, fmt.Errorf("jpeg: parameters text of %d bytes does not fit an EXIF segment", len(text))
	}
	seg := []byte{0xff, 0xe1}
	seg = be.AppendUint16(seg, uint16(len(body)+2))
	return append(seg, body...), nil
}

func appendEntry(b []byte, tag, typ uint16, count, value uint32) []byte {
	b = binary.BigEndian.AppendUint16(b, tag)
	b = binary.BigEndian.AppendUint16(b, typ)
	b = binary.BigEndian.AppendUint32(b, count)
	return binary.BigEndian.AppendUint32(b, value)
}

// encodeJPEG writes img as a JPEG (quality 95) with text in its EXIF
// UserComment.
func encodeJPEG(w io.Writer, img image.Image, text string) error {
	seg, err := exifUserComment(text)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 95}); err != nil {
		return err
	}
	data := buf.Bytes()
	if len(data) < 2 || data[0] != 0xff || data[1] != 0xd8 {
		return errors.New("jpeg: encoder output has no SOI marker")
	}
	for _, part := range [][]byte{data[:2], seg, data[2:]} {
		if _, err := w.Write(part); err != nil {
			return err
		}
	}
	return nil
}

// readJPEGComment returns the EXIF UserComment text of a JPEG stream, or
// "" when it has none.
func readJPEGComment(data []byte) (string, error) {
	if len(data) < 4 || data[0] != 0xff || data[1] != 0xd8 {
		return "", errors.New("jpeg: not a JPEG file")
	}
	for i := 2; i+4 <= len(data) && data[i] == 0xff; {
		marker, n := data[i+1], int(binary.BigEndian.Uint16(data[i+2:]))
		if marker == 0xda || i+2+n > len(data) || n < 2 {
			break
		}
		body := data[i+4 : i+2+n]
		if marker == 0xe1 && bytes.HasPrefix(body, []byte("Exif\x00\x00")) {
			return userComment(body[6:])
		}
		i += 2 + n
	}
	return "", nil
}

// userComment finds the UserComment in a TIFF structure written by
// exifUserComment (big-endian, the Exif IFD pointer in IFD0).
func userComment(t []byte) (string, error) {
	be := binary.BigEndian
	entry := func(ifd uint32, tag uint16) (uint32, uint32, bool) {
		if int(ifd)+2 > len(t) {
			return 0, 0, false
		}
		n := int(be.Uint16(t[ifd:]))
		for k := 0; k < n; k++ {
			e := int(ifd) + 2 + 12*k
			if e+12 > len(t) {
				return 0, 0, false
			}
			if be.Uint16(t[e:]) == tag {
				return be.Uint32(t[e+4:]), be.Uint32(t[e+8:]), true
			}
		}
		return 0, 0, false
	}
	if len(t) < 8 || string(t[:4]) != "MM\x00\x2a" {
		return "", errors.New("jpeg: EXIF is not big-endian TIFF")
	}
	_, exif, ok := entry(be.Uint32(t[4:]), tagExifIFD)
	if !ok {
		return "", nil
	}
	count, off, ok := entry(exif, tagUserComment)
	if !ok || uint64(off)+uint64(count) > uint64(len(t)) || count < 8 {
		return "", nil
	}
	c := t[off : off+count]
	if !bytes.HasPrefix(c, unicodePrefix) || len(c)%2 != 0 {
		return "", errors.New("jpeg: UserComment is not UNICODE text")
	}
	units := make([]uint16, 0, (len(c)-8)/2)
	for k := 8; k < len(c); k += 2 {
		units = append(units, be.Uint16(c[k:]))
	}
	return string(utf16.Decode(units)), nil
}
