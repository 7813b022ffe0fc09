# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_dicomkit_global_optspecs
    string join \n format= v/verbose q/quiet no-progress h/help V/version
end

function __fish_dicomkit_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_dicomkit_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_dicomkit_using_subcommand
    set -l cmd (__fish_dicomkit_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c dicomkit -n "__fish_dicomkit_needs_command" -l format -d 'Output format: table (terminal), csv, json, ndjson (one JSON object per line)' -r -f -a "table\t''
csv\t''
json\t''
ndjson\t''"
complete -c dicomkit -n "__fish_dicomkit_needs_command" -s v -l verbose -d 'More detail on stderr (repeatable: -v info, -vv debug, -vvv trace)'
complete -c dicomkit -n "__fish_dicomkit_needs_command" -s q -l quiet -d 'Only errors on stderr'
complete -c dicomkit -n "__fish_dicomkit_needs_command" -l no-progress -d 'No progress bars (they are shown only when stderr is a terminal anyway)'
complete -c dicomkit -n "__fish_dicomkit_needs_command" -s h -l help -d 'Print help'
complete -c dicomkit -n "__fish_dicomkit_needs_command" -s V -l version -d 'Print version'
complete -c dicomkit -n "__fish_dicomkit_needs_command" -f -a "dump" -d 'DICOM metadata of files, directories and zip archives: all elements, or chosen fields as one row per file'
complete -c dicomkit -n "__fish_dicomkit_needs_command" -f -a "echo" -d 'C-ECHO a PACS: is it there, and how fast does it answer?'
complete -c dicomkit -n "__fish_dicomkit_needs_command" -f -a "find" -d 'C-FIND a patient\'s studies on a PACS (modalities, age, max results, any key)'
complete -c dicomkit -n "__fish_dicomkit_needs_command" -f -a "move" -d 'C-FIND a patient\'s studies, then C-MOVE them to a destination AE or to this machine'
complete -c dicomkit -n "__fish_dicomkit_needs_command" -f -a "store-ecg" -d 'Convert ECGs (SCP-ECG, HL7 aECG, DICOM-ECG, WFDB) to DICOM and C-STORE them; a cron-safe import folder mode'
complete -c dicomkit -n "__fish_dicomkit_needs_command" -f -a "render" -d 'Render DICOM images (every transfer syntax, multi-frame) and ECG waveforms to PNG/JPEG/GIF (ECGs also to SVG)'
complete -c dicomkit -n "__fish_dicomkit_needs_command" -f -a "generate" -d 'Turn pictures (PNG, JPEG, GIF) and metadata into a valid DICOM Secondary Capture object'
complete -c dicomkit -n "__fish_dicomkit_needs_command" -f -a "ecg-infer" -d 'Run the ECG-FM foundation model (ONNX) on ECG files: 17 clinical label probabilities and/or the embedding per record'
complete -c dicomkit -n "__fish_dicomkit_needs_command" -f -a "interpret" -d 'A clinical read-out per ECG: findings by group, severity and reasons from ECG-FM\'s labels and the heart rate and intervals measured from the signal'
complete -c dicomkit -n "__fish_dicomkit_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c dicomkit -n "__fish_dicomkit_using_subcommand dump" -s f -l fields -d 'One row per file with these fields (keywords or tags, comma-separated; repeatable)' -r
complete -c dicomkit -n "__fish_dicomkit_using_subcommand dump" -l max-value-length -d 'Cut values longer than N characters in table output (0: never). CSV and JSON are never cut' -r
complete -c dicomkit -n "__fish_dicomkit_using_subcommand dump" -s j -l jobs -d 'Worker threads for batches (default: one per core)' -r
complete -c dicomkit -n "__fish_dicomkit_using_subcommand dump" -l format -d 'Output format: table (terminal), csv, json, ndjson (one JSON object per line)' -r -f -a "table\t''
csv\t''
json\t''
ndjson\t''"
complete -c dicomkit -n "__fish_dicomkit_using_subcommand dump" -l inline-binary -d 'In JSON output, include bulk data (pixel data, OB/OW/UN...) as base64 InlineBinary'
complete -c dicomkit -n "__fish_dicomkit_using_subcommand dump" -l dictionary -d 'List the standard data dictionary (keyword, tag, VR, VM, name) instead of reading files; the one positional argument, if any, is the filter: substring, ^prefix or suffix$ of the keyword, name or tag (case-insensitive)'
complete -c dicomkit -n "__fish_dicomkit_using_subcommand dump" -l regex -d 'With --dictionary: the filter is a regular expression (case-insensitive)'
complete -c dicomkit -n "__fish_dicomkit_using_subcommand dump" -s v -l verbose -d 'More detail on stderr (repeatable: -v info, -vv debug, -vvv trace)'
complete -c dicomkit -n "__fish_dicomkit_using_subcommand dump" -s q -l quiet -d 'Only errors on stderr'
complete -c dicomkit -n "__fish_dicomkit_using_subcommand dump" -l no-progress -d 'No progress bars (they are shown only when stderr is a terminal anyway)'
complete -c dicomkit -n "__fish_dicomkit_using_subcommand dump" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c dicomkit -n "__fish_dicomkit_using_subcommand dump" -s V -l version -d 'Print version'
complete -c dicomkit -n "__fish_dicomkit_using_subcommand echo" -l pacs -d 'The PACS as AE@HOST:PORT (e.g. ORTHANC@pacs.example.org:4242)' -r
complete -c dicomkit -n "__fish_dicomkit_using_subcommand echo" -l aet -d 'Our (calling) AE title; also the move destination for `move --to-dir`' -r
complete -c dicomkit -n "__fish_dicomkit_using_subcommand echo" -l connect-timeout -d 'Seconds to wait for the TCP connection' -r
complete -c dicomkit -n "__fish_dicomkit_using_subcommand echo" -l acse-timeout -d 'Seconds to wait for association negotiation and release' -r
complete -c dicomkit -n "__fish_dicomkit_using_subcommand echo" -l dimse-timeout -d 'Seconds to wait for each DIMSE message (each C-FIND/C-MOVE response)' -r
complete -c dicomkit -n "__fish_dicomkit_using_subcommand echo" -l max-pdu -d 'Largest PDU we accept, in bytes' -r
complete -c dicomkit -n "__fish_dicomkit_using_subcommand echo" -l format -d 'Output format: table (terminal), csv, json, ndjson (one JSON object per line)' -r -f -a "table\t''
csv\t''
json\t''
ndjson\t''"
complete -c dicomkit -n "__fish_dicomkit_using_subcommand echo" -s v -l verbose -d 'More detail on stderr (repeatable: -v info, -vv debug, -vvv trace)'
complete -c dicomkit -n "__fish_dicomkit_using_subcommand echo" -s q -l quiet -d 'Only errors on stderr'
complete -c dicomkit -n "__fish_dicomkit_using_subcommand echo" -l no-progress -d 'No progress bars (they are shown only when stderr is a terminal anyway)'
complete -c dicomkit -n "__fish_dicomkit_using_subcommand echo" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c dicomkit -n "__fish_dicomkit_using_subcommand echo" -s V -l version -d 'Print version'
complete -c dicomkit -n "__fish_dicomkit_using_subcommand find" -l pacs -d 'The PACS as AE@HOST:PORT (e.g. ORTHANC@pacs.example.org:4242)' -r
complete -c dicomkit -n "__fish_dicomkit_using_subcommand find" -l aet -d 'Our (calling) AE title; also the move destination for `move --to-dir`' -r
complete -c dicomkit -n "__fish_dicomkit_using_subcommand find" -l connect-timeout -d 'Seconds to wait for the TCP connection' -r
complete -c dicomkit -n "__fish_dicomkit_using_subcommand find" -l acse-timeout -d 'Seconds to wait for association negotiation and release' -r
complete -c dicomkit -n "__fish_dicomkit_using_subcommand find" -l dimse-timeout -d 'Seconds to wait for each DIMSE message (each C-FIND/C-MOVE response)' -r
complete -c dicomkit -n "__fish_dicomkit_using_subcommand find" -l max-pdu -d 'Largest PDU we accept, in bytes' -r
complete -c dicomkit -n "__fish_dicomkit_using_subcommand find" -l patient-id -d 'Patient ID to match (1-64 characters; no wildcards unless --allow-wildcards)' -r
complete -c dicomkit -n "__fish_dicomkit_using_subcommand find" -s m -l modality -d 'Only studies with any of these modalities (comma-separated, repeatable)' -r
complete -c dicomkit -n "__fish_dicomkit_using_subcommand find" -l max-years-old -d 'Only studies at most N years old (StudyDate range from today minus N years)' -r
complete -c dicomkit -n "__fish_dicomkit_using_subcommand find" -l max-results -d 'Only the N most recent studies' -r
complete -c dicomkit -n "__fish_dicomkit_using_subcommand find" -s k -l query -d 'Extra matching (KEY=VALUE) or return (KEY) key, as findscu -k: a keyword or (gggg,eeee); repeatable' -r
complete -c dicomkit -n "__fish_dicomkit_using_subcommand find" -l level -d 'Query/retrieve level' -r -f -a "patient\t'PATIENT'
study\t'STUDY'
series\t'SERIES'
image\t'IMAGE'"
complete -c dicomkit -n "__fish_dicomkit_using_subcommand find" -l format -d 'Output format: table (terminal), csv, json, ndjson (one JSON object per line)' -r -f -a "table\t''
csv\t''
json\t''
ndjson\t''"
complete -c dicomkit -n "__fish_dicomkit_using_subcommand find" -l allow-wildcards -d 'Allow *, ? and \\ in the patient ID (wildcard matching)'
complete -c dicomkit -n "__fish_dicomkit_using_subcommand find" -s v -l verbose -d 'More detail on stderr (repeatable: -v info, -vv debug, -vvv trace)'
complete -c dicomkit -n "__fish_dicomkit_using_subcommand find" -s q -l quiet -d 'Only errors on stderr'
complete -c dicomkit -n "__fish_dicomkit_using_subcommand find" -l no-progress -d 'No progress bars (they are shown only when stderr is a terminal anyway)'
complete -c dicomkit -n "__fish_dicomkit_using_subcommand find" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c dicomkit -n "__fish_dicomkit_using_subcommand find" -s V -l version -d 'Print version'
complete -c dicomkit -n "__fish_dicomkit_using_subcommand move" -l pacs -d 'The PACS as AE@HOST:PORT (e.g. ORTHANC@pacs.example.org:4242)' -r
complete -c dicomkit -n "__fish_dicomkit_using_subcommand move" -l aet -d 'Our (calling) AE title; also the move destination for `move --to-dir`' -r
complete -c dicomkit -n "__fish_dicomkit_using_subcommand move" -l connect-timeout -d 'Seconds to wait for the TCP connection' -r
complete -c dicomkit -n "__fish_dicomkit_using_subcommand move" -l acse-timeout -d 'Seconds to wait for association negotiation and release' -r
complete -c dicomkit -n "__fish_dicomkit_using_subcommand move" -l dimse-timeout -d 'Seconds to wait for each DIMSE message (each C-FIND/C-MOVE response)' -r
complete -c dicomkit -n "__fish_dicomkit_using_subcommand move" -l max-pdu -d 'Largest PDU we accept, in bytes' -r
complete -c dicomkit -n "__fish_dicomkit_using_subcommand move" -l patient-id -d 'Patient ID to match (1-64 characters; no wildcards unless --allow-wildcards)' -r
complete -c dicomkit -n "__fish_dicomkit_using_subcommand move" -s m -l modality -d 'Only studies with any of these modalities (comma-separated, repeatable)' -r
complete -c dicomkit -n "__fish_dicomkit_using_subcommand move" -l max-years-old -d 'Only studies at most N years old (StudyDate range from today minus N years)' -r
complete -c dicomkit -n "__fish_dicomkit_using_subcommand move" -l max-results -d 'Only the N most recent studies' -r
complete -c dicomkit -n "__fish_dicomkit_using_subcommand move" -s k -l query -d 'Extra matching (KEY=VALUE) or return (KEY) key, as findscu -k: a keyword or (gggg,eeee); repeatable' -r
complete -c dicomkit -n "__fish_dicomkit_using_subcommand move" -l level -d 'Query/retrieve level' -r -f -a "patient\t'PATIENT'
study\t'STUDY'
series\t'SERIES'
image\t'IMAGE'"
complete -c dicomkit -n "__fish_dicomkit_using_subcommand move" -l dest -d 'Move to this AE (known to the PACS)' -r
complete -c dicomkit -n "__fish_dicomkit_using_subcommand move" -l to-dir -d 'Move to self: receive the instances into this folder' -r -F
complete -c dicomkit -n "__fish_dicomkit_using_subcommand move" -l port -d 'With --to-dir: the port our Storage SCP listens on' -r
complete -c dicomkit -n "__fish_dicomkit_using_subcommand move" -l bind -d 'With --to-dir: the address our Storage SCP listens on' -r
complete -c dicomkit -n "__fish_dicomkit_using_subcommand move" -l format -d 'Output format: table (terminal), csv, json, ndjson (one JSON object per line)' -r -f -a "table\t''
csv\t''
json\t''
ndjson\t''"
complete -c dicomkit -n "__fish_dicomkit_using_subcommand move" -l allow-wildcards -d 'Allow *, ? and \\ in the patient ID (wildcard matching)'
complete -c dicomkit -n "__fish_dicomkit_using_subcommand move" -s v -l verbose -d 'More detail on stderr (repeatable: -v info, -vv debug, -vvv trace)'
complete -c dicomkit -n "__fish_dicomkit_using_subcommand move" -s q -l quiet -d 'Only errors on stderr'
complete -c dicomkit -n "__fish_dicomkit_using_subcommand move" -l no-progress -d 'No progress bars (they are shown only when stderr is a terminal anyway)'
complete -c dicomkit -n "__fish_dicomkit_using_subcommand move" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c dicomkit -n "__fish_dicomkit_using_subcommand move" -s V -l version -d 'Print version'
complete -c dicomkit -n "__fish_dicomkit_using_subcommand store-ecg" -l pacs -d 'The PACS as AE@HOST:PORT (e.g. ORTHANC@pacs.example.org:4242)' -r
complete -c dicomkit -n "__fish_dicomkit_using_subcommand store-ecg" -l aet -d 'Our (calling) AE title; also the move destination for `move --to-dir`' -r
complete -c dicomkit -n "__fish_dicomkit_using_subcommand store-ecg" -l connect-timeout -d 'Seconds to wait for the TCP connection' -r
complete -c dicomkit -n "__fish_dicomkit_using_subcommand store-ecg" -l acse-timeout -d 'Seconds to wait for association negotiation and release' -r
complete -c dicomkit -n "__fish_dicomkit_using_subcommand store-ecg" -l dimse-timeout -d 'Seconds to wait for each DIMSE message (each C-FIND/C-MOVE response)' -r
complete -c dicomkit -n "__fish_dicomkit_using_subcommand store-ecg" -l max-pdu -d 'Largest PDU we accept, in bytes' -r
complete -c dicomkit -n "__fish_dicomkit_using_subcommand store-ecg" -l patient-id -d 'Replace the patient ID of every ECG' -r
complete -c dicomkit -n "__fish_dicomkit_using_subcommand store-ecg" -l out -d 'Also keep the DICOM files sent (or, with --dry-run, written) in this folder' -r -F
complete -c dicomkit -n "__fish_dicomkit_using_subcommand store-ecg" -l import-dir -d 'Folder mode: process the files in this folder (not recursive)' -r -F
complete -c dicomkit -n "__fish_dicomkit_using_subcommand store-ecg" -l watch -d 'Folder mode: keep polling every SECS seconds' -r
complete -c dicomkit -n "__fish_dicomkit_using_subcommand store-ecg" -l archive-dir -d 'Folder mode: move each file here once the PACS confirmed it' -r -F
complete -c dicomkit -n "__fish_dicomkit_using_subcommand store-ecg" -l failed-dir -d 'Folder mode: move files that cannot be read or are refused here, with <name>.error.txt' -r -F
complete -c dicomkit -n "__fish_dicomkit_using_subcommand store-ecg" -l settle -d 'Folder mode: a file modified within the last SECS seconds is still being written' -r
complete -c dicomkit -n "__fish_dicomkit_using_subcommand store-ecg" -l journal -d 'Folder mode: the journal file (default: .dicomkit-store-ecg.journal.ndjson in the folder)' -r -F
complete -c dicomkit -n "__fish_dicomkit_using_subcommand store-ecg" -l format -d 'Output format: table (terminal), csv, json, ndjson (one JSON object per line)' -r -f -a "table\t''
csv\t''
json\t''
ndjson\t''"
complete -c dicomkit -n "__fish_dicomkit_using_subcommand store-ecg" -l dry-run -d 'Convert and validate only; send nothing (no --pacs needed)'
complete -c dicomkit -n "__fish_dicomkit_using_subcommand store-ecg" -l reencode -d 'Convert DICOM-ECG inputs again instead of sending them as they are'
complete -c dicomkit -n "__fish_dicomkit_using_subcommand store-ecg" -l mortara-compat -d 'Write the variant some viewers need: Implicit VR LE, padding 0, rhythm 10 s, median 1.2 s'
complete -c dicomkit -n "__fish_dicomkit_using_subcommand store-ecg" -l derive-leads -d 'Derive missing limb leads (III, aVR, aVL, aVF) from I and II'
complete -c dicomkit -n "__fish_dicomkit_using_subcommand store-ecg" -l erase-on-success -d 'Folder mode: erase each file once the PACS confirmed it (never with --accept-partial)'
complete -c dicomkit -n "__fish_dicomkit_using_subcommand store-ecg" -l accept-warnings -d 'Treat warning statuses (0xB000...) as stored'
complete -c dicomkit -n "__fish_dicomkit_using_subcommand store-ecg" -l accept-partial -d 'Use a partial ECG (rhythm data missing or cut short, a declared length or CRC that disagrees with what is there) instead of refusing it; its defects are shown as warnings and the output marks it partial'
complete -c dicomkit -n "__fish_dicomkit_using_subcommand store-ecg" -s v -l verbose -d 'More detail on stderr (repeatable: -v info, -vv debug, -vvv trace)'
complete -c dicomkit -n "__fish_dicomkit_using_subcommand store-ecg" -s q -l quiet -d 'Only errors on stderr'
complete -c dicomkit -n "__fish_dicomkit_using_subcommand store-ecg" -l no-progress -d 'No progress bars (they are shown only when stderr is a terminal anyway)'
complete -c dicomkit -n "__fish_dicomkit_using_subcommand store-ecg" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c dicomkit -n "__fish_dicomkit_using_subcommand store-ecg" -s V -l version -d 'Print version'
complete -c dicomkit -n "__fish_dicomkit_using_subcommand render" -s o -l output -d 'Output file, frame pattern ({frame}) or directory (trailing `/` or existing)' -r -F
complete -c dicomkit -n "__fish_dicomkit_using_subcommand render" -l image-format -d 'Output type (default: OUTPUT\'s extension; png in directory mode)' -r
complete -c dicomkit -n "__fish_dicomkit_using_subcommand render" -l quality -d 'JPEG quality, 1–100' -r
complete -c dicomkit -n "__fish_dicomkit_using_subcommand render" -l frame -d 'Frame to render, 1-based, or `all` (one file per frame, or one animated GIF)' -r
complete -c dicomkit -n "__fish_dicomkit_using_subcommand render" -l fps -d 'Animated GIF frame rate (default: Frame Time / Cine Rate of the file, else 10)' -r
complete -c dicomkit -n "__fish_dicomkit_using_subcommand render" -l window -d 'Window centre and width (LINEAR), overriding the file\'s VOI' -r
complete -c dicomkit -n "__fish_dicomkit_using_subcommand render" -l voi -d 'VOI when --window is not given: auto, minmax, full, or N (the file\'s N-th)' -r
complete -c dicomkit -n "__fish_dicomkit_using_subcommand render" -l size -d 'Resize to exactly W x H (Lanczos3)' -r
complete -c dicomkit -n "__fish_dicomkit_using_subcommand render" -l max-size -d 'Shrink to fit within N x N, keeping the aspect ratio (Lanczos3; never enlarges)' -r
complete -c dicomkit -n "__fish_dicomkit_using_subcommand render" -l speed -d 'ECG paper speed in mm/s' -r
complete -c dicomkit -n "__fish_dicomkit_using_subcommand render" -l gain -d 'ECG gain in mm/mV' -r
complete -c dicomkit -n "__fish_dicomkit_using_subcommand render" -l format -d 'Output format: table (terminal), csv, json, ndjson (one JSON object per line)' -r -f -a "table\t''
csv\t''
json\t''
ndjson\t''"
complete -c dicomkit -n "__fish_dicomkit_using_subcommand render" -l 16bit -d '16-bit PNG (the VOI output scaled to 0..65535)'
complete -c dicomkit -n "__fish_dicomkit_using_subcommand render" -l overlays -d 'Burn overlay planes (60xx) in, white'
complete -c dicomkit -n "__fish_dicomkit_using_subcommand render" -l accept-partial -d 'Use a partial ECG (rhythm data missing or cut short, a declared length or CRC that disagrees with what is there) instead of refusing it; its defects are shown as warnings and the output marks it partial'
complete -c dicomkit -n "__fish_dicomkit_using_subcommand render" -s v -l verbose -d 'More detail on stderr (repeatable: -v info, -vv debug, -vvv trace)'
complete -c dicomkit -n "__fish_dicomkit_using_subcommand render" -s q -l quiet -d 'Only errors on stderr'
complete -c dicomkit -n "__fish_dicomkit_using_subcommand render" -l no-progress -d 'No progress bars (they are shown only when stderr is a terminal anyway)'
complete -c dicomkit -n "__fish_dicomkit_using_subcommand render" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c dicomkit -n "__fish_dicomkit_using_subcommand render" -s V -l version -d 'Print version'
complete -c dicomkit -n "__fish_dicomkit_using_subcommand generate" -s o -l output -d 'The DICOM file to write (an existing file is replaced only with --force)' -r -F
complete -c dicomkit -n "__fish_dicomkit_using_subcommand generate" -l encode -d 'Pixel storage [default: jpeg when every input is a JPEG, else native]' -r -f -a "native\t'Uncompressed pixels (JPEG inputs decoded)'
jpeg\t'JPEG Baseline (JPEG inputs embedded, other pictures compressed)'"
complete -c dicomkit -n "__fish_dicomkit_using_subcommand generate" -l set -d 'Set an attribute: KEYWORD=VALUE or TAG=VALUE (e.g. PatientName=Doe^Jane, 0010,0020=123)' -r
complete -c dicomkit -n "__fish_dicomkit_using_subcommand generate" -l meta -d 'Attributes from a JSON object of keyword → value' -r -F
complete -c dicomkit -n "__fish_dicomkit_using_subcommand generate" -l template -d 'Copy patient and study attributes from this DICOM file' -r -F
complete -c dicomkit -n "__fish_dicomkit_using_subcommand generate" -l format -d 'Output format: table (terminal), csv, json, ndjson (one JSON object per line)' -r -f -a "table\t''
csv\t''
json\t''
ndjson\t''"
complete -c dicomkit -n "__fish_dicomkit_using_subcommand generate" -l force -d 'Replace OUTPUT if it exists (never when it is one of the inputs)'
complete -c dicomkit -n "__fish_dicomkit_using_subcommand generate" -s v -l verbose -d 'More detail on stderr (repeatable: -v info, -vv debug, -vvv trace)'
complete -c dicomkit -n "__fish_dicomkit_using_subcommand generate" -s q -l quiet -d 'Only errors on stderr'
complete -c dicomkit -n "__fish_dicomkit_using_subcommand generate" -l no-progress -d 'No progress bars (they are shown only when stderr is a terminal anyway)'
complete -c dicomkit -n "__fish_dicomkit_using_subcommand generate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c dicomkit -n "__fish_dicomkit_using_subcommand generate" -s V -l version -d 'Print version'
complete -c dicomkit -n "__fish_dicomkit_using_subcommand ecg-infer" -l clinical-model -d 'The finetuned model (17 logits), ONNX; a sidecar FILE.json beside it overrides defaults' -r -F
complete -c dicomkit -n "__fish_dicomkit_using_subcommand ecg-infer" -l features-model -d 'The pretrained model (embedding), ONNX; a sidecar FILE.json beside it overrides defaults' -r -F
complete -c dicomkit -n "__fish_dicomkit_using_subcommand ecg-infer" -l task -d 'What to compute (the hosted API\'s /clinical, /features, /both); default: what the models given allow' -r -f -a "clinical\t''
features\t''
both\t''"
complete -c dicomkit -n "__fish_dicomkit_using_subcommand ecg-infer" -l ort-lib -d 'The ONNX Runtime library (default: ORT_DYLIB_PATH, then the project\'s .onnxruntime/)' -r -F
complete -c dicomkit -n "__fish_dicomkit_using_subcommand ecg-infer" -l threads -d 'Intra-op threads of ONNX Runtime (0: its default, one per core)' -r
complete -c dicomkit -n "__fish_dicomkit_using_subcommand ecg-infer" -l batch-size -d 'Segments per model run' -r
complete -c dicomkit -n "__fish_dicomkit_using_subcommand ecg-infer" -l features-out -d 'Write the embeddings to this NumPy file (float32, one row per record that succeeded) instead of JSON arrays in the output' -r -F
complete -c dicomkit -n "__fish_dicomkit_using_subcommand ecg-infer" -l provenance -d 'Write the provenance (model SHA-256, labels, preprocessing) to this file: JSON, or key,value CSV when it ends in .csv' -r -F
complete -c dicomkit -n "__fish_dicomkit_using_subcommand ecg-infer" -l shard -d 'Take the I-th of N contiguous shares of the sorted inputs (0 <= I < N)' -r
complete -c dicomkit -n "__fish_dicomkit_using_subcommand ecg-infer" -l format -d 'Output format: table (terminal), csv, json, ndjson (one JSON object per line)' -r -f -a "table\t''
csv\t''
json\t''
ndjson\t''"
complete -c dicomkit -n "__fish_dicomkit_using_subcommand ecg-infer" -l derive-leads -d 'Derive missing limb leads (III, aVR, aVL, aVF) from I and II'
complete -c dicomkit -n "__fish_dicomkit_using_subcommand ecg-infer" -l pad -d 'Zero-pad records shorter than one segment (said in the `padded` column)'
complete -c dicomkit -n "__fish_dicomkit_using_subcommand ecg-infer" -l accept-partial -d 'Use a partial ECG (rhythm data missing or cut short, a declared length or CRC that disagrees with what is there) instead of refusing it; its defects are shown as warnings and the output marks it partial'
complete -c dicomkit -n "__fish_dicomkit_using_subcommand ecg-infer" -s v -l verbose -d 'More detail on stderr (repeatable: -v info, -vv debug, -vvv trace)'
complete -c dicomkit -n "__fish_dicomkit_using_subcommand ecg-infer" -s q -l quiet -d 'Only errors on stderr'
complete -c dicomkit -n "__fish_dicomkit_using_subcommand ecg-infer" -l no-progress -d 'No progress bars (they are shown only when stderr is a terminal anyway)'
complete -c dicomkit -n "__fish_dicomkit_using_subcommand ecg-infer" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c dicomkit -n "__fish_dicomkit_using_subcommand ecg-infer" -s V -l version -d 'Print version'
complete -c dicomkit -n "__fish_dicomkit_using_subcommand interpret" -l rules -d 'A rule file (TOML, or JSON) overriding the default rule table' -r -F
complete -c dicomkit -n "__fish_dicomkit_using_subcommand interpret" -l signal -d 'When to read a table row\'s source ECG for measurements' -r -f -a "auto\t'When the row has no hr_bpm'
always\t'Whenever the source exists (the measured rate wins over hr_bpm)'
never\t'Never: the columns only'"
complete -c dicomkit -n "__fish_dicomkit_using_subcommand interpret" -l clinical-model -d 'Run ECG-FM on ECG-file inputs (as ecg-infer does); without it ECG files get a signal-only read-out' -r -F
complete -c dicomkit -n "__fish_dicomkit_using_subcommand interpret" -l ort-lib -d 'The ONNX Runtime library (with --clinical-model)' -r -F
complete -c dicomkit -n "__fish_dicomkit_using_subcommand interpret" -l threads -d 'Intra-op threads of ONNX Runtime (with --clinical-model; 0: one per core)' -r
complete -c dicomkit -n "__fish_dicomkit_using_subcommand interpret" -l format -d 'Output format: table (terminal), csv, json, ndjson (one JSON object per line)' -r -f -a "table\t''
csv\t''
json\t''
ndjson\t''"
complete -c dicomkit -n "__fish_dicomkit_using_subcommand interpret" -l derive-leads -d 'Derive missing limb leads from I and II for the model (with --clinical-model)'
complete -c dicomkit -n "__fish_dicomkit_using_subcommand interpret" -l accept-partial -d 'Use a partial ECG (rhythm data missing or cut short, a declared length or CRC that disagrees with what is there) instead of refusing it; its defects are shown as warnings and the output marks it partial'
complete -c dicomkit -n "__fish_dicomkit_using_subcommand interpret" -s v -l verbose -d 'More detail on stderr (repeatable: -v info, -vv debug, -vvv trace)'
complete -c dicomkit -n "__fish_dicomkit_using_subcommand interpret" -s q -l quiet -d 'Only errors on stderr'
complete -c dicomkit -n "__fish_dicomkit_using_subcommand interpret" -l no-progress -d 'No progress bars (they are shown only when stderr is a terminal anyway)'
complete -c dicomkit -n "__fish_dicomkit_using_subcommand interpret" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c dicomkit -n "__fish_dicomkit_using_subcommand interpret" -s V -l version -d 'Print version'
complete -c dicomkit -n "__fish_dicomkit_using_subcommand help; and not __fish_seen_subcommand_from dump echo find move store-ecg render generate ecg-infer interpret help" -f -a "dump" -d 'DICOM metadata of files, directories and zip archives: all elements, or chosen fields as one row per file'
complete -c dicomkit -n "__fish_dicomkit_using_subcommand help; and not __fish_seen_subcommand_from dump echo find move store-ecg render generate ecg-infer interpret help" -f -a "echo" -d 'C-ECHO a PACS: is it there, and how fast does it answer?'
complete -c dicomkit -n "__fish_dicomkit_using_subcommand help; and not __fish_seen_subcommand_from dump echo find move store-ecg render generate ecg-infer interpret help" -f -a "find" -d 'C-FIND a patient\'s studies on a PACS (modalities, age, max results, any key)'
complete -c dicomkit -n "__fish_dicomkit_using_subcommand help; and not __fish_seen_subcommand_from dump echo find move store-ecg render generate ecg-infer interpret help" -f -a "move" -d 'C-FIND a patient\'s studies, then C-MOVE them to a destination AE or to this machine'
complete -c dicomkit -n "__fish_dicomkit_using_subcommand help; and not __fish_seen_subcommand_from dump echo find move store-ecg render generate ecg-infer interpret help" -f -a "store-ecg" -d 'Convert ECGs (SCP-ECG, HL7 aECG, DICOM-ECG, WFDB) to DICOM and C-STORE them; a cron-safe import folder mode'
complete -c dicomkit -n "__fish_dicomkit_using_subcommand help; and not __fish_seen_subcommand_from dump echo find move store-ecg render generate ecg-infer interpret help" -f -a "render" -d 'Render DICOM images (every transfer syntax, multi-frame) and ECG waveforms to PNG/JPEG/GIF (ECGs also to SVG)'
complete -c dicomkit -n "__fish_dicomkit_using_subcommand help; and not __fish_seen_subcommand_from dump echo find move store-ecg render generate ecg-infer interpret help" -f -a "generate" -d 'Turn pictures (PNG, JPEG, GIF) and metadata into a valid DICOM Secondary Capture object'
complete -c dicomkit -n "__fish_dicomkit_using_subcommand help; and not __fish_seen_subcommand_from dump echo find move store-ecg render generate ecg-infer interpret help" -f -a "ecg-infer" -d 'Run the ECG-FM foundation model (ONNX) on ECG files: 17 clinical label probabilities and/or the embedding per record'
complete -c dicomkit -n "__fish_dicomkit_using_subcommand help; and not __fish_seen_subcommand_from dump echo find move store-ecg render generate ecg-infer interpret help" -f -a "interpret" -d 'A clinical read-out per ECG: findings by group, severity and reasons from ECG-FM\'s labels and the heart rate and intervals measured from the signal'
complete -c dicomkit -n "__fish_dicomkit_using_subcommand help; and not __fish_seen_subcommand_from dump echo find move store-ecg render generate ecg-infer interpret help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
