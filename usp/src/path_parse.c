/* USP path engine: filled in by the next commit. */
typedef int usp__placeholder_path_parse;
