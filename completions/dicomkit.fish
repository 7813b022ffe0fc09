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
complete -c dicomkit -n "__fish_dicomkit_using_subcommand help; and not __fish_seen_subcommand_from dump help" -f -a "dump" -d 'DICOM metadata of files, directories and zip archives: all elements, or chosen fields as one row per file'
complete -c dicomkit -n "__fish_dicomkit_using_subcommand help; and not __fish_seen_subcommand_from dump help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
