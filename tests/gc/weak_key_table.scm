;;; SPDX-License-Identifier: MIT
;;; weak_key_table.scm ENTRIES MODE - a weak-key hash table filled in a loop
;;; while the keys are dropped. MODE "self": each value refers to its key, so
;;; the key stays reachable from the table (Boehm has no ephemerons) and no
;;; entry is ever collected. MODE "independent": the values do not refer to
;;; the keys, which die. Prints its own counts for gc_check.py.
(define entries (string->number (cadr (command-line))))
(define self? (string=? (caddr (command-line)) "self"))

(define table (make-weak-key-hash-table))

(let loop ((i 0))
  (when (< i entries)
    (let ((key (list 'key i)))
      (hashq-set! table key (if self? (cons key i) (cons 'value i))))
    (loop (1+ i))))

(gc)
(format #t "entries=~a left=~a collections=~a\n" entries (hash-fold (lambda (k v n) (1+ n)) 0 table)
        (assq-ref (gc-stats) 'gc-times))
