"""limit/offset paging (SPEC §2): default 50, at most 1000, and a 400 for anything else."""

from rest_framework import pagination
from rest_framework.exceptions import ValidationError

from incidents.api.filter_fields import INTEGER

MAX_LIMIT = 1000


def integer_parameter(
    request, name: str, *, default: int | None, minimum: int, maximum: int | None = None
) -> int | None:
    """The integer query parameter `name`, given once, within bounds; else a 400 naming it."""
    values = request.query_params.getlist(name)
    if not values:
        return default
    if len(values) > 1:
        raise ValidationError({name: ["Give it once."]})
    raw = values[0]
    if not INTEGER.fullmatch(raw):
        raise ValidationError({name: [f"Must be an integer, not {raw!r}."]})
    value = int(raw)
    if value < minimum or (maximum is not None and value > maximum):
        bound = f"between {minimum} and {maximum}" if maximum is not None else f"{minimum} or more"
        raise ValidationError({name: [f"Must be {bound}, not {value}."]})
    return value


class LimitOffsetPagination(pagination.LimitOffsetPagination):
    default_limit = 50
    max_limit = MAX_LIMIT

    def get_limit(self, request):
        return integer_parameter(
            request,
            self.limit_query_param,
            default=self.default_limit,
            minimum=1,
            maximum=self.max_limit,
        )

    def get_offset(self, request):
        return integer_parameter(request, self.offset_query_param, default=0, minimum=0)

    def paginate_counted(self, queryset, request, counted_page):
        """paginate_queryset for a page whose count comes with it: `counted_page(queryset,
        offset, limit)` returns both at once. Leaves the paginator as paginate_queryset does,
        so the links and display come out the same."""
        self.request = request
        self.limit = self.get_limit(request)
        self.offset = self.get_offset(request)
        self.count, page = counted_page(queryset, self.offset, self.limit)
        if self.count > self.limit and self.template is not None:
            self.display_page_controls = True
        return page
