;;; SPDX-License-Identifier: MIT
;;; utf16_ports.scm LIVE-MIB PORTS - Guile keeps LIVE-MIB of live Scheme data
;;; while it writes PORTS ports in UTF-16 and drops them unclosed. Each such
;;; port opens one iconv_t (~33 KB of malloc) that only the port's GC
;;; finalizer closes. Prints its own counts for gc_check.py.
(use-modules (rnrs bytevectors))

(define live-mib (string->number (cadr (command-line))))
(define nports (string->number (caddr (command-line))))

;; 4 KiB bytevectors: the live Scheme data the collector has to trace.
(define live
  (let loop ((i 0) (acc '()))
    (if (= i (* live-mib 256)) acc (loop (1+ i) (cons (make-bytevector 4096 (logand i 255)) acc)))))

(define (write-utf16-and-drop i)
  (let ((p (open-output-file "/dev/null")))
    (set-port-encoding! p "UTF-16")
    (display i p)))

(let loop ((i 0))
  (when (< i nports)
    (write-utf16-and-drop i)
    (loop (1+ i))))

(format #t "ports=~a live_mib=~a live_objects=~a collections=~a\n" nports live-mib
        (length live) (assq-ref (gc-stats) 'gc-times))
