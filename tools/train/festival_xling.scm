;; English spoken by festival's non-English diphone voices (voices.py, engine "festival-x").
;;
;; Why: the English voices in Debian main are only four human speakers (kal, awb, rms, slt); the
;; Italian, Finnish and Czech diphone databases add eight more (women, men, a child). festival's
;; English front-end with the HTS voice slt gives the phones, their durations and the F0 targets;
;; each English phone becomes the nearest phone(s) of the target language, and the target voice's
;; own diphones make the waveform. The result is English with a foreign accent in a new voice.
;; Nothing here touches the held-out voices kal and ked.

(define (earshot_stressed s)
  (string-equal "1" (item.feat s "R:SylStructure.parent.stress")))

;; English (radio/CMU) phone -> (unstressed stressed): lists of target phones; () drops the phone
(set! earshot_map_italian
 '((aa (a) (a1)) (ae (E) (E1)) (ah (a) (a1)) (ao (O) (O1)) (aw (a w) (a1 w)) (ax (a) (a))
   (ay (a j) (a1 j)) (b (b) (b)) (ch (tS) (tS)) (d (d) (d)) (dh (d) (d)) (eh (E) (E1))
   (er (E r) (E1 r)) (ey (e j) (e1 j)) (f (f) (f)) (g (g) (g)) (hh () ()) (ih (i) (i1)) (iy (i) (i1))
   (jh (dZ) (dZ)) (k (k) (k)) (l (l) (l)) (m (m) (m)) (n (n) (n)) (ng (n g) (n g)) (ow (o w) (o1 w))
   (oy (O j) (O1 j)) (p (p) (p)) (r (r) (r)) (s (s) (s)) (sh (S) (S)) (t (t) (t)) (th (t) (t))
   (uh (u) (u1)) (uw (u) (u1)) (v (v) (v)) (w (w) (w)) (y (j) (j)) (z (z) (z)) (zh (Z) (Z)) (pau (#) (#))))

;; Finnish: "@" is a (ae), "7" is o-umlaut; ":" marks a long vowel
(set! earshot_map_finnish
 '((aa (a) (a:)) (ae (@) (@:)) (ah (a) (a)) (ao (o) (o:)) (aw (a u) (a u)) (ax (@) (@))
   (ay (a j) (a j)) (b (b) (b)) (ch (t S) (t S)) (d (d) (d)) (dh (d) (d)) (eh (e) (e))
   (er (7 r) (7: r)) (ey (e j) (e j)) (f (f) (f)) (g (g) (g)) (hh (h) (h)) (ih (i) (i)) (iy (i) (i:))
   (jh (d j) (d j)) (k (k) (k)) (l (l) (l)) (m (m) (m)) (n (n) (n)) (ng (N) (N)) (ow (o u) (o u))
   (oy (o j) (o j)) (p (p) (p)) (r (r) (r)) (s (s) (s)) (sh (S) (S)) (t (t) (t)) (th (t) (t))
   (uh (u) (u)) (uw (u) (u:)) (v (v) (v)) (w (w) (w)) (y (j) (j)) (z (s) (s)) (zh (S) (S)) (pau (#) (#))))

;; Czech: "~" marks the hacek (c~ = ch, s~ = sh, z~ = zh, dz~ = j), "ch" is the velar fricative
(set! earshot_map_czech
 '((aa (a) (a:)) (ae (e) (e)) (ah (a) (a)) (ao (o) (o:)) (aw (a u) (a u)) (ax (e) (e))
   (ay (a j) (a j)) (b (b) (b)) (ch (c~) (c~)) (d (d) (d)) (dh (d) (d)) (eh (e) (e))
   (er (e r) (e: r)) (ey (e j) (e j)) (f (f) (f)) (g (g) (g)) (hh (h) (h)) (ih (i) (i)) (iy (i) (i:))
   (jh (dz~) (dz~)) (k (k) (k)) (l (l) (l)) (m (m) (m)) (n (n) (n)) (ng (n g) (n g)) (ow (o u) (o u))
   (oy (o j) (o j)) (p (p) (p)) (r (r) (r)) (s (s) (s)) (sh (s~) (s~)) (t (t) (t)) (th (t) (t))
   (uh (u) (u)) (uw (u) (u:)) (v (v) (v)) (w (u) (u)) (y (j) (j)) (z (z) (z)) (zh (z~) (z~)) (pau (#) (#))))

(define (earshot_lookup s map)
  (let ((m (assoc_string (item.name s) map)))
    (if m (if (earshot_stressed s) (car (cddr m)) (cadr m)) (list (item.name s)))))

;; Rename every Segment through MAP; a phone that becomes two splits its time 60/40, a dropped
;; phone gives its time to the next one.
(define (earshot_map_segments utt map)
  (let ((start 0.0))
    (mapcar
     (lambda (s)
       (let ((e (item.feat s "end"))
             (ps (earshot_lookup s map)))
         (cond
          ((null ps) (item.delete s))
          (t
           (item.set_name s (car ps))
           (if (cdr ps)
               (let ((mid (+ start (* 0.6 (- e start)))))
                 (item.set_feat s "end" mid)
                 (item.insert s (list (cadr ps) (list (list 'end e))) 'after)))))
         (set! start e)))
     (utt.relation.items utt 'Segment))
    utt))

(define (earshot_scale_f0 utt k)
  (mapcar
   (lambda (tg) (if (> (item.feat tg "f0") 0) (item.set_feat tg "f0" (* k (item.feat tg "f0")))))
   (utt.relation.items utt 'Target))
  utt)

;; TEXT by slt's front-end at HTS speed RATE, re-voiced by VOICEFN with MAP, F0 times F0K.
(define (earshot_xling text rate voicefn map f0k file)
  (voice_cmu_us_slt_arctic_hts)
  (set! hts_engine_params (cons (list "-r" rate) earshot_hts_base))
  (let ((utt (utt.synth (eval (list (quote Utterance) (quote Text) text)))))
    (earshot_map_segments utt map)
    (earshot_scale_f0 utt f0k)
    (voicefn)
    (Wave_Synth utt)
    (utt.wave.resample utt 16000)
    (utt.save.wave utt file 'riff)))

(voice_cmu_us_slt_arctic_hts)
(set! earshot_hts_base hts_engine_params)
